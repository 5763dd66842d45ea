// Package readme holds no code: its tests keep the repository's README.md
// true. They compile and run README's Go snippet, check every filemux flag
// and exit status it names against the real binary's help, validate the
// tour's configuration with filemux check and match, check that every test
// README cites exists, and that every relative link points to a file.
package readme
