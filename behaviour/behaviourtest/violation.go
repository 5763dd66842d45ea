package behaviourtest

import (
	"fmt"

	"github.com/filemux/filemux/behaviour"
)

// Rule names one rule of the Handler contract that the kit checks.
type Rule uint8

// The rules the kit checks. Each violation names one of them.
const (
	// RuleContent: a read served other bytes than the file holds.
	RuleContent Rule = iota + 1
	// RuleRefusal: a name that must be refused was served or accepted, or
	// was refused with another code.
	RuleRefusal
	// RuleAccept: a transfer that must succeed failed.
	RuleAccept
	// RuleReadLength: Read returned a count outside 0..len(p).
	RuleReadLength
	// RuleZeroRead: Read returned (0, nil) again and again.
	RuleZeroRead
	// RuleDataAfterEOF: Read returned data after it had returned io.EOF.
	RuleDataAfterEOF
	// RuleSize: the size set by Open differs from the bytes read.
	RuleSize
	// RuleOptionAdded: Open or Prepare added an option that was not suggested.
	RuleOptionAdded
	// RuleOptionRaised: Open or Prepare raised a numeric option.
	RuleOptionRaised
	// RuleVisibleBeforeCommit: written data could be read before the final Write.
	RuleVisibleBeforeCommit
	// RuleVisibleAfterAbort: the data of an aborted upload became readable.
	RuleVisibleAfterAbort
	// RuleReadBack: a committed upload did not read back as written.
	RuleReadBack
	// RulePanic: a handler method panicked.
	RulePanic
	// RuleRandomAccess: ReadAt or WriteAt broke io.ReaderAt or io.WriterAt,
	// or the random-access ending was not answered as the contract says.
	RuleRandomAccess
	// RuleLeak: goroutines started by the handler outlived their transfers.
	RuleLeak
	// RuleTooLong: a read went on far past the expected end, or a call did
	// not return in time.
	RuleTooLong
)

var ruleText = [...]string{
	RuleContent:             "content",
	RuleRefusal:             "refusal",
	RuleAccept:              "accept",
	RuleReadLength:          "read length",
	RuleZeroRead:            "zero read",
	RuleDataAfterEOF:        "data after EOF",
	RuleSize:                "size",
	RuleOptionAdded:         "option added",
	RuleOptionRaised:        "option raised",
	RuleVisibleBeforeCommit: "visible before commit",
	RuleVisibleAfterAbort:   "visible after abort",
	RuleReadBack:            "read back",
	RulePanic:               "panic",
	RuleRandomAccess:        "random access",
	RuleLeak:                "goroutine leak",
	RuleTooLong:             "too long",
}

// String returns the short name of the rule, as violations print it.
func (r Rule) String() string {
	if int(r) < len(ruleText) && ruleText[r] != "" {
		return ruleText[r]
	}
	return fmt.Sprintf("rule %d", uint8(r))
}

// Violation is one breach of the contract: which transfer, which rule, and
// what was seen. TestHandler joins them with errors.Join; find them with
// errors.As.
type Violation struct {
	// Access and Name identify the transfer (Name as requested).
	Access behaviour.Access
	Name   string
	// Rule is the rule broken.
	Rule Rule
	// Detail says what was observed and how the transfer was driven.
	Detail string
}

// Error formats the violation as "read "name": rule: detail".
func (v *Violation) Error() string {
	return fmt.Sprintf("%s %q: %s: %s", v.Access, v.Name, v.Rule, v.Detail)
}
