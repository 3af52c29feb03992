package joy

// Version is the version of this implementation (the joy command, the Go
// package and libjoy.so). The configuration record keeps printing the
// original's "2.1-dev" (config.Version), so records stay identical.
const Version = "0.9.0"
