module github.com/filemux/filemux

go 1.26.0
