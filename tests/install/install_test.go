// Package install tests the installed library as a product would use it:
// make install into a temporary DESTDIR, then tests/c/joy_example.c built
// against the installed files with pkg-config and with CMake's
// find_package(joy) (no rpath: LD_LIBRARY_PATH at run time), linked
// statically against libjoy.a, and run on a capture of its own
// (cmd/joy-mkdemo); and make deb, checked with dpkg -c and installed with
// dpkg into a private root (as root only).
package install

import (
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	tu "github.com/gojoy/libjoy/tests/go/testutil"
)

// fixture is one make install shared by the tests of this package.
type fixture struct {
	root, tmp, build, destdir, prefix, pcap string
	version, soname, libfile                string
	want                                    []byte // the joy command's output on pcap
	err                                     error
}

var (
	once sync.Once
	fx   fixture
)

func need(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed: %v", tool, err)
		}
	}
}

func run(t *testing.T, dir string, env []string, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s\n%s", name, strings.Join(args, " "), err, out.Bytes(), errb.Bytes())
	}
	return out.Bytes()
}

// cleanEnv is the environment without a make jobserver of a parent make
// and without library paths that could hide a missing installed file.
func cleanEnv() []string {
	var env []string
	for _, e := range os.Environ() {
		switch strings.SplitN(e, "=", 2)[0] {
		case "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "LD_LIBRARY_PATH", "PKG_CONFIG_PATH", "PKG_CONFIG_SYSROOT_DIR",
			"CMAKE_PREFIX_PATH":
			continue
		}
		env = append(env, e)
	}
	return env
}

// setup runs make install once (its own build directory, so the tree's
// build/ is not touched) and writes the demo capture.
func setup(t *testing.T) *fixture {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the install tests link the library twice and are left out")
	}
	need(t, "make", "cc", "go")
	if _, err := os.Stat("/usr/include/pcap.h"); err != nil {
		if _, err := os.Stat("/usr/include/pcap/pcap.h"); err != nil {
			t.Skip("libpcap-dev is not installed (no pcap.h)")
		}
	}
	once.Do(func() {
		fx.err = func() (err error) {
			fx.root, err = tu.RepoRoot()
			if err != nil {
				return err
			}
			fx.tmp, err = os.MkdirTemp("", "joy-install-test-")
			if err != nil {
				return err
			}
			fx.build = filepath.Join(fx.tmp, "build")
			fx.destdir = filepath.Join(fx.tmp, "destdir")
			fx.prefix = "/usr/local"
			src, err := os.ReadFile(filepath.Join(fx.root, "joy", "version.go"))
			if err != nil {
				return err
			}
			m := regexp.MustCompile(`const Version = "(\d+)\.(\d+)\.(\d+)"`).FindSubmatch(src)
			if m == nil {
				return errorString("no const Version in joy/version.go")
			}
			fx.version = string(m[1]) + "." + string(m[2]) + "." + string(m[3])
			fx.soname = "libjoy.so." + string(m[1])
			fx.libfile = "libjoy.so." + fx.version
			cmd := exec.Command("make", "-C", fx.root, "install", "BUILD="+fx.build, "DESTDIR="+fx.destdir,
				"PREFIX="+fx.prefix)
			cmd.Env = cleanEnv()
			if out, err := cmd.CombinedOutput(); err != nil {
				return errorString("make install: " + err.Error() + "\n" + string(out))
			}
			fx.pcap = filepath.Join(fx.tmp, "demo.pcap")
			cmd = exec.Command("go", "run", "./cmd/joy-mkdemo", fx.pcap)
			cmd.Dir = fx.root
			if out, err := cmd.CombinedOutput(); err != nil {
				return errorString("joy-mkdemo: " + err.Error() + "\n" + string(out))
			}
			// The reference for every build of the example: the installed
			// joy command on the same capture (the demo's flows do not
			// depend on the drain cadence).
			cmd = exec.Command(fx.path("bin", "joy"), "bidir=1", fx.pcap)
			if fx.want, err = cmd.Output(); err != nil {
				return errorString("installed joy: " + err.Error())
			}
			return nil
		}()
	})
	if fx.err != nil {
		t.Fatal(fx.err)
	}
	return &fx
}

type errorString string

func (e errorString) Error() string { return string(e) }

func TestMain(m *testing.M) {
	code := m.Run()
	if fx.tmp != "" {
		os.RemoveAll(fx.tmp)
	}
	os.Exit(code)
}

// path is a file of the installed tree (under DESTDIR).
func (f *fixture) path(elem ...string) string {
	return filepath.Join(append([]string{f.destdir, f.prefix}, elem...)...)
}

// apiFunctions are the function names include/joy_api.h declares.
func apiFunctions(t *testing.T, root string) []string {
	t.Helper()
	h, err := os.ReadFile(filepath.Join(root, "include", "joy_api.h"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^extern [^;(]*?\b(joy_[a-z_]+)\(`).FindAllSubmatch(h, -1) {
		seen[string(m[1])] = true
	}
	var names []string
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) < 11 {
		t.Fatalf("joy_api.h declares %d functions (%v); the guide has eleven", len(names), names)
	}
	return names
}

func TestInstalledFiles(t *testing.T) {
	f := setup(t)
	for _, p := range [][]string{
		{"bin", "joy"}, {"include", "joy_api.h"}, {"lib", f.libfile}, {"lib", "libjoy.a"},
		{"lib", "pkgconfig", "joy.pc"}, {"lib", "cmake", "joy", "joyConfig.cmake"},
		{"lib", "cmake", "joy", "joyConfigVersion.cmake"},
	} {
		if st, err := os.Stat(f.path(p...)); err != nil || !st.Mode().IsRegular() {
			t.Errorf("%s: not installed as a file (%v)", filepath.Join(p...), err)
		}
	}
	for link, target := range map[string]string{f.soname: f.libfile, "libjoy.so": f.soname} {
		if got, err := os.Readlink(f.path("lib", link)); err != nil || got != target {
			t.Errorf("lib/%s -> %q (%v), want -> %s", link, got, err, target)
		}
	}
	// The SONAME, and only the guide's functions (plus our extensions,
	// all joy_*) exported: every name joy_api.h declares, nothing else.
	ef, err := elf.Open(f.path("lib", f.libfile))
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	if sonames, err := ef.DynString(elf.DT_SONAME); err != nil || len(sonames) != 1 || sonames[0] != f.soname {
		t.Errorf("SONAME %v (%v), want %s", sonames, err, f.soname)
	}
	syms, err := ef.DynamicSymbols()
	if err != nil {
		t.Fatal(err)
	}
	var exported []string
	for _, s := range syms {
		if s.Section != elf.SHN_UNDEF && elf.ST_BIND(s.Info) != elf.STB_LOCAL {
			exported = append(exported, s.Name)
		}
	}
	sort.Strings(exported)
	want := apiFunctions(t, f.root)
	if strings.Join(exported, " ") != strings.Join(want, " ") {
		t.Errorf("exported symbols:\n  %s\nwant the functions of joy_api.h:\n  %s", strings.Join(exported, " "),
			strings.Join(want, " "))
	}
	pc, _ := os.ReadFile(f.path("lib", "pkgconfig", "joy.pc"))
	if !bytes.Contains(pc, []byte("Version: "+f.version+"\n")) || !bytes.Contains(pc, []byte("prefix="+f.prefix+"\n")) {
		t.Errorf("joy.pc lacks Version: %s or prefix=%s:\n%s", f.version, f.prefix, pc)
	}
}

// checkBinary asserts how a built example refers to libjoy: NEEDED the
// SONAME (shared) or no libjoy at all (static), and no RPATH/RUNPATH.
func checkBinary(t *testing.T, f *fixture, bin string, static bool) {
	t.Helper()
	ef, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	needed, _ := ef.DynString(elf.DT_NEEDED)
	var joyNeeded []string
	for _, n := range needed {
		if strings.HasPrefix(n, "libjoy") || strings.Contains(n, "/") {
			joyNeeded = append(joyNeeded, n)
		}
	}
	if static && len(joyNeeded) != 0 {
		t.Errorf("%s: linked statically but NEEDED %v", filepath.Base(bin), joyNeeded)
	}
	if !static && (len(joyNeeded) != 1 || joyNeeded[0] != f.soname) {
		t.Errorf("%s: NEEDED %v, want [%s] (the SONAME, not a path)", filepath.Base(bin), joyNeeded, f.soname)
	}
	for _, tag := range []elf.DynTag{elf.DT_RPATH, elf.DT_RUNPATH} {
		if v, _ := ef.DynString(tag); len(v) > 0 {
			t.Errorf("%s: %v %v: built with an rpath", filepath.Base(bin), tag, v)
		}
	}
}

// runExample runs a built example on the demo capture and compares its
// records with the installed joy command's.
func runExample(t *testing.T, f *fixture, bin string, libdir string) {
	t.Helper()
	var env []string
	if libdir != "" {
		env = append(env, "LD_LIBRARY_PATH="+libdir)
	}
	out := run(t, f.tmp, env, bin, f.pcap)
	if !bytes.Equal(out, f.want) {
		t.Errorf("%s: records differ from the installed joy command's:\n%s\nwant:\n%s", filepath.Base(bin), out, f.want)
	}
	if n := bytes.Count(out, []byte("\n")); n != 5 {
		t.Errorf("%s: %d lines, want the configuration and 4 flows", filepath.Base(bin), n)
	}
	if libdir != "" {
		// Without the library path the loader must not find it (no rpath).
		cmd := exec.Command(bin, f.pcap)
		cmd.Env = cleanEnv()
		if err := cmd.Run(); err == nil && !systemHasLibjoy(f) {
			t.Errorf("%s ran without LD_LIBRARY_PATH: it found libjoy some other way", filepath.Base(bin))
		}
	}
}

func systemHasLibjoy(f *fixture) bool {
	out, _ := exec.Command("ldconfig", "-p").Output()
	return bytes.Contains(out, []byte(f.soname))
}

func TestPkgConfigBuild(t *testing.T) {
	f := setup(t)
	need(t, "pkg-config")
	env := []string{"PKG_CONFIG_PATH=" + f.path("lib", "pkgconfig"), "PKG_CONFIG_SYSROOT_DIR=" + f.destdir}
	if v := strings.TrimSpace(string(run(t, f.tmp, env, "pkg-config", "--modversion", "joy"))); v != f.version {
		t.Errorf("pkg-config --modversion joy = %q, want %s", v, f.version)
	}
	flags := strings.Fields(string(run(t, f.tmp, env, "pkg-config", "--cflags", "--libs", "joy")))
	src := filepath.Join(f.root, "tests", "c", "joy_example.c")
	bin := filepath.Join(f.tmp, "example-pkgconfig")
	run(t, f.tmp, nil, "cc", append([]string{"-Wall", "-o", bin, src}, flags...)...)
	checkBinary(t, f, bin, false)
	runExample(t, f, bin, f.path("lib"))

	// Statically: libjoy.a, with libpcap and the threads Go's runtime uses.
	cflags := strings.Fields(string(run(t, f.tmp, env, "pkg-config", "--cflags", "joy")))
	sbin := filepath.Join(f.tmp, "example-static")
	args := append([]string{"-Wall", "-o", sbin, src}, cflags...)
	args = append(args, f.path("lib", "libjoy.a"), "-lpcap", "-lpthread")
	run(t, f.tmp, nil, "cc", args...)
	checkBinary(t, f, sbin, true)
	runExample(t, f, sbin, "")
}

func TestCMakeBuild(t *testing.T) {
	f := setup(t)
	need(t, "cmake")
	proj := filepath.Join(f.tmp, "cmake-consumer")
	if err := os.MkdirAll(proj, 0o755); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(f.root, "tests", "c", "joy_example.c")
	lists := `cmake_minimum_required(VERSION 3.16)
project(joy_consumer C)
find_package(joy ` + f.version[:strings.LastIndex(f.version, ".")] + ` REQUIRED)
add_executable(example_shared "` + src + `")
target_link_libraries(example_shared PRIVATE joy::joy)
add_executable(example_static "` + src + `")
target_link_libraries(example_static PRIVATE joy::joy_static)
`
	if err := os.WriteFile(filepath.Join(proj, "CMakeLists.txt"), []byte(lists), 0o644); err != nil {
		t.Fatal(err)
	}
	bdir := filepath.Join(proj, "build")
	// CMAKE_SKIP_RPATH: CMake would otherwise give the program an rpath to
	// the library it linked; a product's build does not rely on that.
	run(t, proj, nil, "cmake", "-S", proj, "-B", bdir, "-DCMAKE_PREFIX_PATH="+f.path(), "-DCMAKE_SKIP_RPATH=ON")
	run(t, proj, nil, "cmake", "--build", bdir)
	checkBinary(t, f, filepath.Join(bdir, "example_shared"), false)
	runExample(t, f, filepath.Join(bdir, "example_shared"), f.path("lib"))
	checkBinary(t, f, filepath.Join(bdir, "example_static"), true)
	runExample(t, f, filepath.Join(bdir, "example_static"), "")

	// A major version the package is not must be refused.
	bad := filepath.Join(f.tmp, "cmake-bad")
	os.MkdirAll(bad, 0o755)
	os.WriteFile(filepath.Join(bad, "CMakeLists.txt"), []byte("cmake_minimum_required(VERSION 3.16)\nproject(x C)\nfind_package(joy 99 REQUIRED)\n"), 0o644)
	cmd := exec.Command("cmake", "-S", bad, "-B", filepath.Join(bad, "build"), "-DCMAKE_PREFIX_PATH="+f.path())
	cmd.Env = cleanEnv()
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Errorf("find_package(joy 99) succeeded:\n%s", out)
	}
}

func TestDebianPackage(t *testing.T) {
	f := setup(t)
	need(t, "dpkg-deb", "dpkg", "pkg-config")
	if os.Geteuid() != 0 {
		t.Skip("installing the package needs root")
	}
	cmd := exec.Command("make", "-C", f.root, "deb", "BUILD="+f.build)
	cmd.Env = cleanEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make deb: %v\n%s", err, out)
	}
	arch := strings.TrimSpace(string(run(t, f.tmp, nil, "dpkg", "--print-architecture")))
	deb := filepath.Join(f.build, "joy_"+f.version+"_"+arch+".deb")
	multiarch := strings.TrimSpace(string(run(t, f.tmp, nil, "gcc", "-print-multiarch")))
	libdir := "./usr/lib/" + multiarch + "/"
	list := string(run(t, f.tmp, nil, "dpkg", "-c", deb))
	for _, want := range []string{
		"./usr/bin/joy", "./usr/include/joy_api.h", libdir + f.libfile, libdir + f.soname + " -> " + f.libfile,
		libdir + "libjoy.so -> " + f.soname, libdir + "libjoy.a", libdir + "pkgconfig/joy.pc",
		libdir + "cmake/joy/joyConfig.cmake", "./usr/share/doc/joy/README.md",
	} {
		if !strings.Contains(list, want) {
			t.Errorf("dpkg -c: no %s in\n%s", want, list)
		}
	}
	if strings.Contains(list, "/usr/local") {
		t.Errorf("dpkg -c: files under /usr/local:\n%s", list)
	}
	// Install into a private root (its own dpkg database), so the test
	// leaves the machine as it was; then remove it again.
	root := filepath.Join(f.tmp, "dpkg-root")
	for _, d := range []string{"var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/dpkg/triggers"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	os.WriteFile(filepath.Join(root, "var/lib/dpkg/status"), nil, 0o644)
	dpkg := []string{"--root=" + root, "--force-depends", "--force-script-chrootless", "--log=/dev/null"}
	run(t, f.tmp, nil, "dpkg", append(dpkg, "-i", deb)...)
	status := string(run(t, f.tmp, nil, "dpkg", "--root="+root, "-s", "joy"))
	if !strings.Contains(status, "Status: install ok installed") || !strings.Contains(status, "Version: "+f.version) {
		t.Errorf("dpkg -s joy:\n%s", status)
	}
	instLib := filepath.Join(root, "usr", "lib", multiarch)
	env := []string{"PKG_CONFIG_PATH=" + filepath.Join(instLib, "pkgconfig"), "PKG_CONFIG_SYSROOT_DIR=" + root}
	flags := strings.Fields(string(run(t, f.tmp, env, "pkg-config", "--cflags", "--libs", "joy")))
	bin := filepath.Join(f.tmp, "example-deb")
	run(t, f.tmp, nil, "cc", append([]string{"-o", bin, filepath.Join(f.root, "tests", "c", "joy_example.c")}, flags...)...)
	checkBinary(t, f, bin, false)
	runExample(t, f, bin, instLib)
	run(t, f.tmp, nil, "dpkg", append(dpkg, "--purge", "joy")...)
	if _, err := os.Stat(filepath.Join(instLib, f.libfile)); !os.IsNotExist(err) {
		t.Errorf("after dpkg --purge joy, %s is still there (%v)", f.libfile, err)
	}
}
