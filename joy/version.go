package joy

// Version is the version of this implementation: the joy command's
// --version, JOY_VERSION_STRING in include/joy_api.h and the file name of
// the installed library (libjoy.so.<Version>, SONAME libjoy.so.<major>).
// The configuration record keeps the original's "version":"2.1-dev".
const Version = "2.1.0"
