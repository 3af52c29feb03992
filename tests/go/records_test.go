package conformance

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	tu "github.com/gojoy/libjoy/tests/go/testutil"
)

// TestRecordsDoc keeps docs/records.md true: the option sets it names run
// on the original's 14 test captures, and every member path (to depth two:
// "tls.cs", "packets[].b") that appears must be a row of the table with the
// same JSON type, and every row must appear unless it says "not in the
// test captures".
func TestRecordsDoc(t *testing.T) {
	shared := tu.NeedShared(t)
	if cliPath == "" {
		t.Skipf("joy command not built: %v", cliErr)
	}
	root, err := tu.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join(root, "docs", "records.md"))
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		types  string
		absent bool // "not in the test captures"
	}
	rows := map[string]row{}
	rowRE := regexp.MustCompile("^\\| `([^`]+)` \\| ([a-z/]+) \\| (.*)\\|$")
	sc := bufio.NewScanner(bytes.NewReader(doc))
	for sc.Scan() {
		if m := rowRE.FindStringSubmatch(sc.Text()); m != nil {
			if _, dup := rows[m[1]]; dup {
				t.Errorf("docs/records.md: %s listed twice", m[1])
			}
			rows[m[1]] = row{types: m[2], absent: strings.Contains(m[3], "not in the test captures")}
		}
	}
	if len(rows) < 50 {
		t.Fatalf("docs/records.md: only %d member rows found", len(rows))
	}

	wd := t.TempDir()
	for _, f := range []string{"internal.net", "compact_bd.txt"} {
		copyFile(t, filepath.Join(shared, "data", f), filepath.Join(wd, f))
	}
	copyFile(t, filepath.Join(shared, "data", "anon_joy.bin"), filepath.Join(wd, "joy.bin"))
	captures, _ := filepath.Glob(filepath.Join(shared, "pcaps", "joy-*.pcap"))
	if len(captures) == 0 {
		t.Skip("no joy-*.pcap captures in the shared material")
	}
	all := "bidir=1 tls=1 http=1 dns=1 ssh=1 dhcp=1 ike=1 dist=1 entropy=1 idp=1300 classify=1 hd=1 wht=1 salt=1 ppi=1 " +
		"payload=1 zeros=1 retrans=1 num_pkts=199 anon=internal.net label=internal:internal.net cdist=compact_bd.txt " +
		"fingerprint=1"
	seen := map[string]map[string]bool{}
	for _, args := range []string{all, "bidir=1 type=2", "bidir=1", ""} {
		cmd := exec.Command(cliPath, append(strings.Fields(args), captures...)...)
		cmd.Dir = wd
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("joy %s: %v", args, err)
		}
		for _, line := range bytes.Split(out, []byte("\n")) {
			if len(line) == 0 || bytes.Contains(line, []byte(`"end-config"`)) {
				continue
			}
			var rec map[string]any
			dec := json.NewDecoder(bytes.NewReader(line))
			dec.UseNumber() // 0.5 and 3 stay apart as written
			if err := dec.Decode(&rec); err != nil {
				t.Fatalf("joy %s: %v: %s", args, err, line)
			}
			memberPaths(rec, "", seen)
		}
	}
	var missing []string
	for p, types := range seen {
		r, ok := rows[p]
		if !ok {
			missing = append(missing, p)
			continue
		}
		for ty := range types {
			if !strings.Contains("/"+r.types+"/", "/"+ty+"/") {
				t.Errorf("docs/records.md: %s is %s, the output has %s", p, r.types, ty)
			}
		}
	}
	sort.Strings(missing)
	for _, p := range missing {
		t.Errorf("docs/records.md lacks %s (%v), which the output has", p, seen[p])
	}
	for p, r := range rows {
		if _, ok := seen[p]; !ok && !r.absent {
			t.Errorf("docs/records.md lists %s, which no option set printed on the test captures", p)
		}
	}
}

// memberPaths adds the paths of o's members to depth two, with each
// value's JSON type.
func memberPaths(o any, prefix string, seen map[string]map[string]bool) {
	switch v := o.(type) {
	case map[string]any:
		for k, x := range v {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			if strings.Count(strings.ReplaceAll(p, "[]", ""), ".") > 1 {
				continue
			}
			if seen[p] == nil {
				seen[p] = map[string]bool{}
			}
			seen[p][jsonType(x)] = true
			memberPaths(x, p, seen)
		}
	case []any:
		for _, x := range v {
			memberPaths(x, prefix+"[]", seen)
		}
	}
}

func jsonType(v any) string {
	switch x := v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case bool:
		return "boolean"
	case nil:
		return "null"
	case json.Number:
		if strings.ContainsAny(string(x), ".eE") {
			return "number"
		}
		return "integer"
	}
	return "unknown"
}
