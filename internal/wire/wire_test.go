package wire_test

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"testing"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/wire"
)

func TestSFTPStatus(t *testing.T) {
	tests := []struct {
		err  error
		want uint32
	}{
		{nil, wire.SFTPOK},
		{io.EOF, wire.SFTPEOF},
		{fmt.Errorf("read: %w", io.EOF), wire.SFTPEOF},
		{behaviour.ErrNotFound, wire.SFTPNoSuchFile},
		{fs.ErrNotExist, wire.SFTPNoSuchFile},
		{behaviour.ErrAccessViolation, wire.SFTPPermissionDenied},
		{fs.ErrPermission, wire.SFTPPermissionDenied},
		{behaviour.ErrNoSuchUser, wire.SFTPPermissionDenied},
		{behaviour.ErrIllegalOperation, wire.SFTPOpUnsupported},
		{behaviour.ErrUnsupported, wire.SFTPOpUnsupported},
		{behaviour.ErrDiskFull, wire.SFTPFailure},
		{behaviour.ErrFileExists, wire.SFTPFailure},
		{behaviour.ErrOptionRefused, wire.SFTPFailure},
		{behaviour.ErrUnknownTID, wire.SFTPFailure},
		{errors.New("anything"), wire.SFTPFailure},
	}
	for _, tt := range tests {
		if got := wire.SFTPStatus(tt.err); got != tt.want {
			t.Errorf("SFTPStatus(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

func TestCheckAccepted(t *testing.T) {
	suggested := behaviour.NewOptions(behaviour.Option{Name: "blksize", Value: "1468"}, behaviour.Option{Name: "tsize", Value: "0"})
	tests := []struct {
		name     string
		accepted []behaviour.Option
		ok       bool
	}{
		{"all", []behaviour.Option{{Name: "blksize", Value: "1468"}, {Name: "tsize", Value: "0"}}, true},
		{"none", nil, true},
		{"lowered and reordered", []behaviour.Option{{Name: "TSIZE", Value: "10"}, {Name: "blksize", Value: "512"}}, true},
		{"added", []behaviour.Option{{Name: "blksize", Value: "512"}, {Name: "windowsize", Value: "8"}}, false},
	}
	for _, tt := range tests {
		err := wire.CheckAccepted(suggested, behaviour.NewOptions(tt.accepted...))
		if (err == nil) != tt.ok {
			t.Errorf("%s: CheckAccepted = %v, want ok %v", tt.name, err, tt.ok)
		}
		if err != nil && (wire.TFTPCode(err) != behaviour.CodeOptionRefused || behaviour.PeerMessage(err) != "option not requested") {
			t.Errorf("%s: error %v, want option refused with a peer message that names no option", tt.name, err)
		}
	}
}

func TestParseDecimal(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{"512", 512, true},
		{"000512", 512, true},
		{"65464", 65464, true},
		{"999999999999999999", 999999999999999999, true}, // 18 digits
		{"1000000000000000000", 0, false},                // 19 digits
		{"9223372036854775807", 0, false},
		{"99999999999999999999", 0, false},
		{"", 0, false},
		{"+512", 0, false},
		{"-1", 0, false},
		{"abc", 0, false},
		{"12a", 0, false},
		{" 512", 0, false},
		{"512 ", 0, false},
		{"0x10", 0, false},
		{"1e3", 0, false},
		{"٣", 0, false}, // a non-ASCII digit
	}
	for _, tt := range tests {
		if v, ok := wire.ParseDecimal(tt.in); v != tt.want || ok != tt.ok {
			t.Errorf("ParseDecimal(%q) = %d, %v; want %d, %v", tt.in, v, ok, tt.want, tt.ok)
		}
	}
}
