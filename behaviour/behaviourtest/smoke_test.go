package behaviourtest_test

import (
	"testing"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/behaviour/behaviourtest"
)

func TestSmoke(t *testing.T) {
	err := behaviourtest.TestHandler(behaviour.Bytes([]byte("hello")), behaviourtest.Spec{
		Reads:        map[string][]byte{"a": []byte("hello"), "b/c": []byte("hello")},
		RefuseWrites: map[string]behaviour.Code{"a": behaviour.CodeAccessViolation},
	})
	if err != nil {
		t.Fatal(err)
	}
}
