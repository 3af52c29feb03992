package main

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/gojoy/libjoy/joy"
	"github.com/gojoy/libjoy/joy/registry"
)

// settings is everything the command line and a -x file can set. The
// engine's part is cfg; the rest drives the command itself. Files named
// by options (model, cdist, anon, ...) are only recorded here and loaded
// by prepare, once every option is known.
type settings struct {
	cfg joy.Config

	model, cdist, anon, useranon string
	labels                       []string // NAME:FILE, in the order given

	logfile                 string
	count                   uint
	upload, keyfile         string
	uploadConfig            string // ssh_config file passed to scp -F
	retain                  bool
	uploadRetry, uploadWait uint // seconds
	username                string
	auxPath                 string
	urlModel, urlLabel      string
	updateEvery             uint // seconds between URLmodel/URLlabel fetches
	showConfig              bool
	showInterfaces          bool
	progress                int // -1: when standard error is a terminal
	source                  bool
	cpuprofile              string

	nfv9Port                   uint
	collectPort, collectIdle   uint
	collectOnline              bool
	exportTemplate             string
	exportPort, exportHostSeen bool

	live liveOptions

	warnings []string // settings without effect, reported at start
}

// liveOptions are the options of live capture (issue #12, the sensor
// half): parsed and validated here, acted on by runLive (cmd/joy/live.go
// on the sensor branch).
type liveOptions struct {
	Interface  string // "auto": the first suitable interface
	BPF        string // tcpdump syntax; also applies to capture files
	Promisc    bool
	Threads    uint // contexts (and cores) to use; 0 = 1
	StatsEvery uint // seconds between statistics lines in the log; 0 = none
}

func defaultSettings() *settings {
	return &settings{
		cfg:         joy.Config{Type: 1, Verbosity: 4},
		uploadRetry: 30,
		uploadWait:  60,
		updateEvery: 86400, // the original's updater ran once a day
		progress:    -1,
	}
}

// kind is what an option takes; its values are checked by
// registry.Option.Check, the one parser of option values.
type kind = registry.Kind

const (
	kFlag   = registry.KindFlag   // 0 or 1; a bare name in a -x file means 1
	kNumber = registry.KindNumber // an unsigned number in [min, max]
	kString = registry.KindString // any text; "none" unsets it, as in the original
	kEnum   = registry.KindEnum   // one of values
)

// option is one entry of the option table: its name, what it takes, its
// help line and where it goes. field returns a *bool, *uint or *string to
// set; set, when present, is called instead with the validated text.
type option struct {
	name     string
	kind     kind
	min, max uint     // kNumber
	values   []string // kEnum
	arg      string   // placeholder in the help text
	help     string
	field    func(s *settings) any
	set      func(s *settings, v string) error
	alias    bool // another name of an option listed elsewhere (not in help)
	ext      bool // an extension of this implementation (not in the original)
}

const maxPort = 65535

// generalOptions are the original's "General options" and the command's
// own extensions, in the original's usage order.
var generalOptions = []option{
	{name: "interface", kind: kString, arg: "I", help: "read packets live from interface I (auto: the first suitable one)",
		field: func(s *settings) any { return &s.live.Interface }},
	{name: "promisc", kind: kFlag, help: "put the interface into promiscuous mode",
		field: func(s *settings) any { return &s.live.Promisc }},
	{name: "output", kind: kString, arg: "F", help: "write records to file F instead of standard output (F ending in .gz: gzip;\nauto: flocap-<MAC>-<YYYYMMDDhhmmss> in outdir)",
		field: func(s *settings) any { return &s.cfg.Output }},
	{name: "outdir", kind: kString, arg: "D", help: "directory of output files (default: the current directory)",
		field: func(s *settings) any { return &s.cfg.OutputDir }},
	{name: "logfile", kind: kString, arg: "F", help: "append log lines to file F instead of standard error",
		field: func(s *settings) any { return &s.logfile }},
	{name: "log", kind: kString, arg: "F", alias: true, field: func(s *settings) any { return &s.logfile }},
	{name: "count", kind: kNumber, min: 1, max: 1<<31 - 1, arg: "C", help: "rotate output files so that each holds C records",
		field: func(s *settings) any { return &s.count }},
	{name: "upload", kind: kString, arg: "user@server:path", help: "upload each output file with scp after rotation (and at the end)",
		field: func(s *settings) any { return &s.upload }},
	{name: "keyfile", kind: kString, arg: "F", help: "SSH identity (private key) in file F for upload",
		field: func(s *settings) any { return &s.keyfile }},
	{name: "upload_config", kind: kString, arg: "F", ext: true, help: "ssh_config file F for upload (scp -F F: port, known hosts, ...)",
		field: func(s *settings) any { return &s.uploadConfig }},
	{name: "upload_retry", kind: kNumber, min: 1, max: 86400, arg: "S", ext: true, help: "retry a failed upload every S seconds (default 30)",
		field: func(s *settings) any { return &s.uploadRetry }},
	{name: "upload_wait", kind: kNumber, min: 0, max: 86400, arg: "S", ext: true, help: "at exit, keep retrying failed uploads for up to S seconds (default 60)",
		field: func(s *settings) any { return &s.uploadWait }},
	{name: "anon", kind: kString, arg: "F", help: "anonymize addresses in the subnets listed in file F (key: ./joy.bin)",
		field: func(s *settings) any { return &s.anon }},
	{name: "retain", kind: kFlag, help: "keep the local copy of a file after its upload",
		field: func(s *settings) any { return &s.retain }},
	cfgOption("preemptive_timeout"),
	{name: "nfv9_port", kind: kNumber, max: maxPort, arg: "N", help: "collect NetFlow v9 (RFC 3954) on UDP port N and print each record as a JSON line",
		field: func(s *settings) any { return &s.nfv9Port }},
	{name: "ipfix_collect_port", kind: kNumber, max: maxPort, arg: "N", help: "collect IPFIX on UDP port N and print what arrives as JSON lines",
		field: func(s *settings) any { return &s.collectPort }},
	{name: "ipfix_collect_online", kind: kFlag, help: "collect from a live UDP socket (needs ipfix_collect_port; the only way here)",
		field: func(s *settings) any { return &s.collectOnline }},
	{name: "ipfix_collect_idle", kind: kNumber, max: 1 << 31, arg: "S", ext: true, help: "stop collecting (IPFIX or NetFlow v9) after S idle seconds (0: never)",
		field: func(s *settings) any { return &s.collectIdle }},
	{name: "ipfix_export_port", kind: kNumber, max: maxPort, arg: "N", help: "export every flow over IPFIX to port N",
		set: func(s *settings, v string) error { return setExportPort(s, v) }},
	{name: "ipfix_export_remote_port", kind: kNumber, max: maxPort, arg: "N", help: "IPFIX export to port N of the remote host (default 4739)",
		set: func(s *settings, v string) error { return setExportPort(s, v) }},
	{name: "ipfix_export_remote_host", kind: kString, arg: "host", help: "IPFIX export to host (default 127.0.0.1)",
		set: func(s *settings, v string) error {
			s.cfg.IPFIXExport, s.cfg.IPFIXHost, s.exportHostSeen = true, v, true
			return nil
		}},
	cfgOption("format"),
	{name: "ipfix_export_template", kind: kEnum, values: []string{"simple", "idp"}, arg: "type", help: "IPFIX template: simple (5-tuple, counters, times) or idp (also the\ninitial data packet; turns idp on)",
		field: func(s *settings) any { return &s.exportTemplate }},
	{name: "aux_resource_path", kind: kString, arg: "P", help: "directory of auxiliary resources (relative model=, cdist=, anon=, useranon=\nand label= files are looked up there when not found as given)",
		field: func(s *settings) any { return &s.auxPath }},
	{name: "verbosity", kind: kNumber, min: 0, max: 5, arg: "L", help: "lowest log level shown: 0 off, 1 debug, 2 info, 3 warning, 4 error,\n5 critical (default 4)",
		field: func(s *settings) any { return &s.cfg.Verbosity }},
	{name: "show_config", kind: kFlag, help: "print the configuration on the log stream at start",
		field: func(s *settings) any { return &s.showConfig }},
	{name: "show_interfaces", kind: kFlag, help: "print the network interfaces on the log stream at start",
		field: func(s *settings) any { return &s.showInterfaces }},
	{name: "username", kind: kString, arg: "user", help: "drop privileges to user once the input is open (output files are\nthen written as user)",
		field: func(s *settings) any { return &s.username }},
	{name: "threads", kind: kNumber, min: 1, max: maxThreads, arg: "N", ext: true, help: "use N contexts (cores): live capture, several files, or one file split by flow",
		field: func(s *settings) any { return &s.live.Threads }},
	{name: "stats", kind: kNumber, max: 1 << 31, arg: "S", ext: true, help: "log capture statistics every S seconds (0: only at exit)",
		field: func(s *settings) any { return &s.live.StatsEvery }},
	{name: "progress", kind: kFlag, ext: true, help: "progress line on standard error for capture files (default: on when it\nis a terminal)",
		set: func(s *settings, v string) error { s.progress = int(v[0] - '0'); return nil }},
	cfgOption("max_records"),
	{name: "update_interval", kind: kNumber, min: 1, max: 1 << 31, arg: "S", ext: true, help: "fetch URLmodel and URLlabel again every S seconds (default 86400)",
		field: func(s *settings) any { return &s.updateEvery }},
	{name: "cpuprofile", kind: kString, arg: "F", ext: true, help: "write a Go CPU profile of the run to F (go tool pprof)",
		field: func(s *settings) any { return &s.cpuprofile }},
}

// dataOptions are the original's "Data feature options" that are not
// per-flow modules.
var dataOptions = []option{
	{name: "bpf", kind: kString, arg: "expression", help: "only process packets matching the BPF expression (tcpdump syntax)",
		field: func(s *settings) any { return &s.live.BPF }},
	cfgOption("zeros"),
	cfgOption("retrans"),
	cfgOption("bidir"),
	cfgOption("dist"),
	{name: "cdist", kind: kString, arg: "F", help: "compact byte distribution with the map in file F (\"byte<TAB>bucket\" lines)",
		field: func(s *settings) any { return &s.cdist }},
	cfgOption("entropy"),
	cfgOption("exe"),
	cfgOption("classify"),
	cfgOption("num_pkts"),
	cfgOption("type"),
	cfgOption("idp"),
	{name: "label", kind: kString, arg: "L:F", help: "add label L to addresses in the subnets listed in file F (repeatable)",
		set: func(s *settings, v string) error {
			if name, path, ok := strings.Cut(v, ":"); !ok || name == "" || path == "" {
				return fmt.Errorf("label takes NAME:FILE")
			}
			s.labels = append(s.labels, v)
			return nil
		}},
	{name: "URLmodel", kind: kString, arg: "URL", help: "fetch the model= files from URL/F1 and URL/F2 at start and then every\nupdate_interval, and swap them in",
		field: func(s *settings) any { return &s.urlModel }},
	{name: "model", kind: kString, arg: "F1:F2", help: "classifier parameters: SPLT in file F1, SPLT+BD in file F2",
		set: func(s *settings, v string) error {
			if a, b, ok := strings.Cut(v, ":"); !ok || a == "" || b == "" {
				return fmt.Errorf("model takes SPLT_FILE:BD_FILE")
			}
			s.model = v
			return nil
		}},
	cfgOption("hd"),
	{name: "URLlabel", kind: kString, arg: "URL", help: "fetch a subnet list from URL at start and then every update_interval,\nand label its addresses \"malware\"",
		field: func(s *settings) any { return &s.urlLabel }},
	{name: "useranon", kind: kString, arg: "F", help: "pseudonymize the user names listed in file F in HTTP request URIs",
		field: func(s *settings) any { return &s.useranon }},
	{name: "source", kind: kFlag, ext: true, help: "add \"source\":\"<capture file>\" to each record (off by default, so records\nstay the original's)",
		field: func(s *settings) any { return &s.source }},
}

// protocolOptions are the per-flow modules, in the original's print
// order, as joy/registry lists them: a protocol added to the registry is
// an option here with no other change. Each is 0 or 1 (payload too: the
// original parsed it as a flag).
var protocolOptions = func() []option {
	var opts []option
	for i := range registry.Modules {
		opts = append(opts, cfgOption(registry.Modules[i].Name))
	}
	return opts
}()

// cfgOption is the option of the configuration named name (joy.ConfigOptions,
// shared with the C library's joy_set_option): what it takes, its help and
// where it goes are defined there once.
func cfgOption(name string) option {
	o := joy.LookupOption(name)
	if o == nil {
		panic("no configuration option " + name)
	}
	return option{name: o.Name, kind: o.Kind, min: o.Min, max: o.Max, values: o.Values, arg: o.Arg, help: o.Help, ext: o.Ext,
		set: func(s *settings, v string) error { o.Set(&s.cfg, v); return nil }}
}

func setExportPort(s *settings, v string) error {
	n, _ := strconv.ParseUint(v, 10, 32)
	s.cfg.IPFIXExport, s.cfg.IPFIXPort, s.exportPort = true, uint(n), true
	return nil
}

var optionIndex = func() map[string]*option {
	m := map[string]*option{}
	for _, tab := range [][]option{generalOptions, dataOptions, protocolOptions} {
		for i := range tab {
			o := &tab[i]
			if m[o.name] != nil {
				panic("duplicate option " + o.name)
			}
			m[o.name] = o
		}
	}
	return m
}()

// usageError is a mistake in the options: exit status 2, nothing read.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// spec is the option's description for registry.Option's checks.
func (o *option) spec() registry.Option {
	return registry.Option{Name: o.name, Kind: o.kind, Min: o.min, Max: o.max, Values: o.values, Arg: o.arg}
}

// apply sets option name to value. bare is a -x line with a name and no
// value (the original takes it as 1 for flags).
func (s *settings) apply(name, value string, bare bool) error {
	name = strings.TrimSpace(name)
	value = strings.TrimSpace(value)
	o := optionIndex[name]
	if o == nil {
		return usagef("unknown option %q%s (joy help lists the options)", name, suggest(name))
	}
	if bare {
		if o.kind != kFlag {
			return usagef("option %s needs a value (%s=%s)", name, name, o.argText())
		}
		value = "1"
	}
	spec := o.spec()
	value, err := spec.Check(value)
	if err != nil {
		return usagef("%v", err)
	}
	if o.set != nil {
		if err := o.set(s, value); err != nil {
			return usagef("%s=%s: %v", name, value, err)
		}
		return nil
	}
	switch p := o.field(s).(type) {
	case *bool:
		*p = value == "1"
	case *uint:
		n, _ := strconv.ParseUint(value, 10, 32)
		*p = uint(n)
	case *string:
		*p = value
	default:
		panic("option " + name + ": bad field type")
	}
	return nil
}

func (o *option) argText() string {
	spec := o.spec()
	return spec.ArgText()
}

// suggest names a known option that the unknown one starts with or that
// starts with it (the original matched options by prefix).
func suggest(name string) string {
	var c []string
	for n, o := range optionIndex {
		if !o.alias && len(name) > 1 && (strings.HasPrefix(name, n) || strings.HasPrefix(n, name) ||
			strings.EqualFold(n, name)) {
			c = append(c, n)
		}
	}
	if len(c) == 0 {
		return ""
	}
	sort.Strings(c)
	return "; did you mean " + strings.Join(c, " or ") + "?"
}

// writeUsage prints the help text: every option of the table.
func writeUsage(w io.Writer) {
	fmt.Fprintf(w, `usage: joy [OPTIONS] FILE|DIR|- [FILE ...]      records of capture files (- : standard input)
       joy [OPTIONS] interface=I                 live capture
       joy -x options.cfg [OPTIONS] ...          options from a file (see below)
       joy --version | help | train|sleuth|plot ...   (joy train -h, ...)

OPTIONS are name=value words (0 = off, 1 = on). With -x F, each line of F is
"name = value" or a bare "name" (= 1), "#" starts a comment; as in the
original, a setting in F wins over the same option on the command line.
Options marked + are this implementation's additions.

`)
	section := func(title string, tab []option) {
		fmt.Fprintf(w, "%s\n", title)
		for i := range tab {
			o := &tab[i]
			if o.alias {
				continue
			}
			left := o.name + "=" + o.argText()
			mark := " "
			if o.ext {
				mark = "+"
			}
			lines := strings.Split(o.help, "\n")
			if len(left) > 25 {
				fmt.Fprintf(w, " %s%s\n", mark, left)
				fmt.Fprintf(w, "  %-25s  %s\n", "", lines[0])
			} else {
				fmt.Fprintf(w, " %s%-25s  %s\n", mark, left, lines[0])
			}
			for _, l := range lines[1:] {
				fmt.Fprintf(w, "  %-25s  %s\n", "", l)
			}
		}
		fmt.Fprintln(w)
	}
	section("General options", generalOptions)
	section("Data feature options", dataOptions)
	section("Protocol and feature modules", protocolOptions)
	fmt.Fprint(w, "Exit status: 0 if no errors; 1 if input, output or upload failed; 2 for bad options.\n")
}
