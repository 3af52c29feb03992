package joy

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/gojoy/libjoy/joy/config"
	"github.com/gojoy/libjoy/joy/registry"
)

// Option is one name=value option of the configuration: its name (the
// joy command's option), what it takes and where it goes. See
// ConfigOptions.
type Option = registry.Option

// engineOptions are the configuration's options that are not registry
// entries: the flow engine's numbers and the output format.
var engineOptions = []Option{
	{Name: "num_pkts", Kind: registry.KindNumber, Max: 200, Arg: "N",
		Help: "report on at most N packets per flow (0 <= N <= 200; shown in the\nconfiguration record)",
		Set:  func(c *Config, v string) { c.NumPkts = registry.ParseNumber(v) }},
	{Name: "type", Kind: registry.KindNumber, Min: 1, Max: 2, Arg: "T",
		Help: "message type: 1 = SPLT (packet lengths and times), 2 = SALT",
		Set:  func(c *Config, v string) { c.Type = registry.ParseNumber(v) }},
	{Name: "idp", Kind: registry.KindNumber, Max: config.MaxIDP, Arg: "N",
		Help: "report N bytes (at most 1500) of the initial data packet of each direction",
		Set: func(c *Config, v string) {
			n := registry.ParseNumber(v)
			c.IDP, c.ReportIDP = n, n > 0
		}},
	{Name: "max_records", Kind: registry.KindNumber, Max: 1<<31 - 1, Arg: "N", Ext: true,
		Help: "at most N flow records in memory; the oldest flows are printed early\nwith \"expire_type\":\"m\" (default 800000, about 1 GB)",
		Set:  func(c *Config, v string) { c.MaxRecords = int(registry.ParseNumber(v)) }},
	{Name: "format", Kind: registry.KindEnum, Values: formatNames(), Arg: "name", Ext: true,
		Help: "output format: json (Joy JSON lines, the default), csv or parquet; without it\nthe output file's suffix decides (.csv, .parquet)",
		Set:  func(c *Config, v string) { c.Format = v }},
}

func formatNames() []string {
	var names []string
	for _, d := range Formats {
		names = append(names, d.Name)
	}
	return names
}

var optionIndex = sync.OnceValue(func() map[string]*Option {
	m := map[string]*Option{}
	for _, list := range [][]Option{registry.Options(), engineOptions} {
		for i := range list {
			if m[list[i].Name] != nil {
				panic("joy: duplicate option " + list[i].Name)
			}
			m[list[i].Name] = &list[i]
		}
	}
	return m
})

// ConfigOptions returns every option that sets a Config by itself: each
// protocol and feature of the registry (by its name, so a new registry
// entry is an option here with no other change), then num_pkts, type,
// idp, max_records and format. The joy command offers them (its own
// options, which drive the command rather than the engine, come on top),
// and so does the C library's joy_set_option.
func ConfigOptions() []Option {
	return append(registry.Options(), engineOptions...)
}

// LookupOption returns the configuration option named name, or nil.
func LookupOption(name string) *Option { return optionIndex()[name] }

// ErrUnknownOption is wrapped by the error of an unknown option's name.
var ErrUnknownOption = errors.New("unknown option")

// SetOption sets option name of cfg to value as the joy command would
// (name=value). An unknown name or a value the option does not take is an
// error naming both, and cfg is unchanged.
func SetOption(cfg *Config, name, value string) error {
	o := LookupOption(name)
	if o == nil {
		return fmt.Errorf("%w %q", ErrUnknownOption, name)
	}
	v, err := o.Check(value)
	if err != nil {
		return err
	}
	o.Set(cfg, v)
	return nil
}

// ErrReadOnly is returned when options are set after the configuration
// they were for was made.
var ErrReadOnly = errors.New("the configuration is read-only once the library is initialized")

// Options are options set before a library is initialized (the C API's
// joy_set_option), applied in the order given when its configuration is
// made (LibraryInit). Each is checked when it is set. Safe for concurrent
// use.
type Options struct {
	mu     sync.Mutex
	set    []optionValue
	sealed bool
}

type optionValue struct {
	o     *Option
	value string
}

// Set checks name=value and keeps it; after Seal it refuses with
// ErrReadOnly.
func (p *Options) Set(name, value string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.sealed {
		return fmt.Errorf("%s=%s: %w", name, value, ErrReadOnly)
	}
	o := LookupOption(name)
	if o == nil {
		return fmt.Errorf("%w %q (the options are joy's name=value options of the configuration: %s)",
			ErrUnknownOption, name, strings.Join(optionNames(), ", "))
	}
	v, err := o.Check(value)
	if err != nil {
		return err
	}
	p.set = append(p.set, optionValue{o, v})
	return nil
}

// Seal makes later Set calls fail with ErrReadOnly.
func (p *Options) Seal() {
	p.mu.Lock()
	p.sealed = true
	p.mu.Unlock()
}

// Apply sets the kept options in cfg, in the order they were set (a later
// value of an option wins). A nil p applies nothing.
func (p *Options) Apply(cfg *Config) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.set {
		s.o.Set(cfg, s.value)
	}
}

func optionNames() []string {
	var names []string
	for _, o := range ConfigOptions() {
		names = append(names, o.Name)
	}
	return names
}
