package handlers

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/filemux/filemux/behaviour"
)

// ActionEvent describes the transfer that fired an [Action]: the data of
// its argument templates, the JSON body of its POST, and its environment.
type ActionEvent struct {
	// Outcome is "success" or "failure".
	Outcome  string `json:"outcome"`
	Protocol string `json:"protocol"`
	Access   string `json:"access"`
	// Name is the cleaned file name, RequestedName the name as sent.
	Name          string `json:"name"`
	RequestedName string `json:"requested_name"`
	// Pattern is the pattern of the route that matched, Params its named
	// captures.
	Pattern string            `json:"pattern"`
	Params  map[string]string `json:"params"`
	// Peer and Local are addresses with ports; PeerIP is the peer's
	// address alone.
	Peer   string `json:"peer"`
	PeerIP string `json:"peer_ip"`
	Local  string `json:"local"`
	// User is the SSH user, empty for TFTP.
	User     string  `json:"user,omitempty"`
	Bytes    int64   `json:"bytes"`
	Duration float64 `json:"duration_seconds"`
	// Code is the protocol error code and Error the text the peer saw;
	// both are zero on success.
	Code  int    `json:"code"`
	Error string `json:"error,omitempty"`
	// Time is when the transfer ended.
	Time time.Time `json:"time"`
}

// eventOf describes the ending o.
func eventOf(o Outcome) ActionEvent {
	t := o.Transfer
	e := ActionEvent{
		Outcome: "success", Protocol: t.Protocol.String(), Access: t.Access.String(),
		Name: t.Name, RequestedName: t.RequestedName, Pattern: t.Pattern,
		Params: make(map[string]string, len(t.Params)),
		Peer:   t.Peer.String(), PeerIP: t.Peer.Addr().Unmap().String(), Local: t.Local.String(),
		User: t.User, Bytes: o.Bytes, Duration: o.Duration.Seconds(), Time: time.Now().UTC(),
	}
	for _, p := range t.Params {
		e.Params[p.Name] = p.Value
	}
	if !o.OK() {
		e.Outcome, e.Code, e.Error = "failure", int(o.Code), behaviour.PeerMessage(o.Err)
	}
	return e
}

// Env returns the event as environment variables for a command: FILEMUX_
// followed by the upper-case JSON name of each field (FILEMUX_NAME,
// FILEMUX_PEER_IP, FILEMUX_DURATION_SECONDS, ...), FILEMUX_PARAM_ and the
// upper-case name of each capture, and FILEMUX_EVENT holding the JSON.
func (e ActionEvent) Env() []string {
	env := []string{
		"FILEMUX_OUTCOME=" + e.Outcome, "FILEMUX_PROTOCOL=" + e.Protocol, "FILEMUX_ACCESS=" + e.Access,
		"FILEMUX_NAME=" + e.Name, "FILEMUX_REQUESTED_NAME=" + e.RequestedName, "FILEMUX_PATTERN=" + e.Pattern,
		"FILEMUX_PEER=" + e.Peer, "FILEMUX_PEER_IP=" + e.PeerIP, "FILEMUX_LOCAL=" + e.Local,
		"FILEMUX_USER=" + e.User, "FILEMUX_BYTES=" + strconv.FormatInt(e.Bytes, 10),
		"FILEMUX_DURATION_SECONDS=" + strconv.FormatFloat(e.Duration, 'f', -1, 64),
		"FILEMUX_CODE=" + strconv.Itoa(e.Code), "FILEMUX_ERROR=" + e.Error,
		"FILEMUX_TIME=" + e.Time.Format(time.RFC3339Nano),
	}
	for name, v := range e.Params {
		env = append(env, "FILEMUX_PARAM_"+strings.ToUpper(name)+"="+v)
	}
	if b, err := json.Marshal(e); err == nil {
		env = append(env, "FILEMUX_EVENT="+string(b))
	}
	return env
}
