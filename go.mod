module github.com/gojoy/libjoy

go 1.24

require (
	github.com/google/gopacket v1.1.19
	github.com/klauspost/compress v1.17.9
	github.com/parquet-go/parquet-go v0.25.1
	golang.org/x/net v0.0.0-20190620200207-3b0461eec859
	golang.org/x/sys v0.30.0
)

require (
	github.com/andybalholm/brotli v1.1.1 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/pierrec/lz4/v4 v4.1.21 // indirect
)
