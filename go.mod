module github.com/filemux/filemux

go 1.26.0

require (
	github.com/dlclark/regexp2 v1.12.0 // indirect
	github.com/kr/fs v0.1.0 // indirect
	github.com/pin/tftp/v3 v3.2.0 // indirect
	github.com/pkg/sftp v1.13.12 // indirect
	golang.org/x/crypto v0.58.0 // indirect
	golang.org/x/net v0.60.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)
