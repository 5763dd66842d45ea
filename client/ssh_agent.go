package client

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"

	"golang.org/x/crypto/ssh/agent"
)

// agent connects to the ssh-agent at AgentSocket or $SSH_AUTH_SOCK. The
// caller closes the connection once the handshake is over: the agent only
// signs during authentication.
func (s *SSH) agent() (agent.ExtendedAgent, io.Closer, error) {
	sock := s.AgentSocket
	if sock == "" {
		sock = os.Getenv("SSH_AUTH_SOCK")
	}
	if sock == "" {
		return nil, nil, errors.New("client: Agent is set but SSH_AUTH_SOCK is empty and no AgentSocket is given")
	}
	conn, err := net.Dial("unix", sock)
	if err != nil {
		return nil, nil, fmt.Errorf("client: ssh-agent: %w", err)
	}
	return agent.NewClient(conn), conn, nil
}
