// Package yamlx decodes YAML strictly, with errors that carry the path of the offending
// key (`jobs[0].current.path: required`), and expands ${VAR} references from the
// environment before parsing.
//
// Decoding rules: struct fields are matched by their `yaml:"name"` tag; unknown keys,
// type mismatches and fields tagged `required:"true"` that are absent are errors; every
// problem is reported, joined. time.Duration accepts Go durations plus a `d` (24h) unit.
// Types implementing encoding.TextUnmarshaler decode from scalars. A field of type Block
// keeps its node for a plugin registry to decode later (a `type:` block).
package yamlx

import (
	"encoding"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Error is one decoding problem at a YAML path.
type Error struct {
	Path string // e.g. jobs[0].sinks[1].url
	Line int    // 1-based; 0 if unknown
	Msg  string
}

func (e *Error) Error() string {
	p := e.Path
	if p == "" {
		p = "(root)"
	}
	if e.Line > 0 {
		return fmt.Sprintf("%s: %s (line %d)", p, e.Msg, e.Line)
	}
	return fmt.Sprintf("%s: %s", p, e.Msg)
}

// Block is a plugin configuration block: its `type:` and the node it came from, decoded
// later by the plugin's own strict decoder.
type Block struct {
	Type string
	Path string
	Node *yaml.Node
	skip []string // keys decoded elsewhere (see Without)
}

// Without returns a copy of b whose Decode also ignores keys (they belong to the caller,
// e.g. a job's window settings inside a source block).
func (b Block) Without(keys ...string) Block {
	b.skip = append(append([]string(nil), b.skip...), keys...)
	return b
}

// Pick decodes only the named keys of the block into v, strictly.
func (b Block) Pick(v any, keys ...string) error {
	if b.Node == nil {
		return nil
	}
	want := map[string]bool{}
	for _, k := range keys {
		want[k] = true
	}
	sub := &yaml.Node{Kind: yaml.MappingNode, Line: b.Node.Line}
	for i := 0; i+1 < len(b.Node.Content); i += 2 {
		if want[b.Node.Content[i].Value] {
			sub.Content = append(sub.Content, b.Node.Content[i], b.Node.Content[i+1])
		}
	}
	return DecodeNode(sub, b.Path, v)
}

// IsZero reports whether the block was absent.
func (b Block) IsZero() bool { return b.Node == nil }

// Decode decodes the block's keys other than `type` into v, strictly.
func (b Block) Decode(v any) error {
	if b.Node == nil {
		return nil
	}
	d := &decoder{skip: map[string]bool{"type": true}}
	for _, k := range b.skip {
		d.skip[k] = true
	}
	d.decode(b.Node, b.Path, reflect.ValueOf(v).Elem())
	return errors.Join(d.errs...)
}

var envRef = regexp.MustCompile(`\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-?([^}]*))?\}`)

// ExpandEnv replaces ${VAR}, ${VAR:-default} and ${VAR:default} with the value of the
// environment variable (lookup), or the default when it is unset or empty; `$$` is a
// literal `$`. Every variable that is unset and has no default is listed in one error.
func ExpandEnv(src []byte, lookup func(string) (string, bool)) ([]byte, error) {
	var missing []string
	seen := map[string]bool{}
	out := envRef.ReplaceAllFunc(src, func(m []byte) []byte {
		if string(m) == "$$" {
			return []byte("$")
		}
		sub := envRef.FindSubmatch(m)
		name := string(sub[1])
		if v, ok := lookup(name); ok && v != "" {
			return []byte(v)
		}
		if strings.Contains(string(m), ":") {
			return sub[2]
		}
		if !seen[name] {
			seen[name] = true
			missing = append(missing, name)
		}
		return nil
	})
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, &missingEnvError{names: missing}
	}
	return out, nil
}

// Unmarshal parses src, expands environment references in its scalar values (with
// os.LookupEnv; comments and keys are left alone, and an expanded value cannot change
// the document's structure) and decodes it strictly into v (a pointer to a struct).
func Unmarshal(src []byte, v any) error {
	var root yaml.Node
	if err := yaml.Unmarshal(src, &root); err != nil {
		return fmt.Errorf("parse yaml: %w", err)
	}
	if root.Kind == 0 {
		return &Error{Msg: "empty document"}
	}
	if err := expandNode(&root, os.LookupEnv); err != nil {
		return err
	}
	return DecodeNode(&root, "", v)
}

// expandNode expands ${VAR} references in every scalar value below n, listing every
// missing variable in one error.
func expandNode(n *yaml.Node, lookup func(string) (string, bool)) error {
	var missing []string
	seen := map[string]bool{}
	var walk func(n *yaml.Node, isKey bool)
	walk = func(n *yaml.Node, isKey bool) {
		switch n.Kind {
		case yaml.ScalarNode:
			if isKey || !strings.Contains(n.Value, "$") {
				return
			}
			out, err := ExpandEnv([]byte(n.Value), lookup)
			if err != nil {
				var me *missingEnvError
				if errors.As(err, &me) {
					for _, m := range me.names {
						if !seen[m] {
							seen[m] = true
							missing = append(missing, m)
						}
					}
				}
				return
			}
			n.Value = string(out)
		case yaml.MappingNode:
			for i, c := range n.Content {
				walk(c, i%2 == 0)
			}
		default:
			for _, c := range n.Content {
				walk(c, false)
			}
		}
	}
	walk(n, false)
	if len(missing) > 0 {
		sort.Strings(missing)
		return &missingEnvError{names: missing}
	}
	return nil
}

type missingEnvError struct{ names []string }

func (e *missingEnvError) Error() string {
	return "environment variables not set: " + strings.Join(e.names, ", ")
}

// DecodeNode decodes node strictly into v (a pointer); path prefixes error paths.
func DecodeNode(node *yaml.Node, path string, v any) error {
	d := &decoder{}
	if node.Kind == yaml.DocumentNode && len(node.Content) > 0 {
		node = node.Content[0]
	}
	d.decode(node, path, reflect.ValueOf(v).Elem())
	return errors.Join(d.errs...)
}

type decoder struct {
	errs []error
	skip map[string]bool // top-level keys to ignore (a block's `type`)
}

func (d *decoder) fail(n *yaml.Node, path, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	d.errs = append(d.errs, &Error{Path: path, Line: line, Msg: fmt.Sprintf(format, args...)})
}

var (
	durationType  = reflect.TypeOf(time.Duration(0))
	blockType     = reflect.TypeOf(Block{})
	nodeType      = reflect.TypeOf(yaml.Node{})
	textUnmarshal = reflect.TypeOf((*encoding.TextUnmarshaler)(nil)).Elem()
)

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func (d *decoder) decode(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // null leaves the default
	}
	t := v.Type()
	switch {
	case t == blockType:
		if n.Kind != yaml.MappingNode {
			d.fail(n, path, "want a mapping with a type key, got %s", kindName(n))
			return
		}
		b := Block{Path: path, Node: n}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "type" {
				b.Type = n.Content[i+1].Value
			}
		}
		if b.Type == "" {
			d.fail(n, join(path, "type"), "required")
		}
		v.Set(reflect.ValueOf(b))
		return
	case t == nodeType:
		v.Set(reflect.ValueOf(*n))
		return
	case t == durationType:
		if n.Kind != yaml.ScalarNode {
			d.fail(n, path, "want a duration such as 24h, got %s", kindName(n))
			return
		}
		dur, err := ParseDuration(n.Value)
		if err != nil {
			d.fail(n, path, "%v", err)
			return
		}
		v.SetInt(int64(dur))
		return
	case reflect.PointerTo(t).Implements(textUnmarshal):
		if n.Kind != yaml.ScalarNode {
			d.fail(n, path, "want a scalar, got %s", kindName(n))
			return
		}
		if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(n.Value)); err != nil {
			d.fail(n, path, "%v", err)
		}
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		d.decode(n, path, v.Elem())
	case reflect.Struct:
		d.decodeStruct(n, path, v)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.fail(n, path, "want a list, got %s", kindName(n))
			return
		}
		s := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		for i, c := range n.Content {
			d.decode(c, fmt.Sprintf("%s[%d]", path, i), s.Index(i))
		}
		v.Set(s)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			d.fail(n, path, "want a mapping, got %s", kindName(n))
			return
		}
		if t.Key().Kind() != reflect.String {
			panic("yamlx: map keys must be strings")
		}
		if v.IsNil() {
			v.Set(reflect.MakeMap(t))
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			ev := reflect.New(t.Elem()).Elem()
			d.decode(n.Content[i+1], join(path, k), ev)
			v.SetMapIndex(reflect.ValueOf(k).Convert(t.Key()), ev)
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.fail(n, path, "want a string, got %s", kindName(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		b, err := strconv.ParseBool(n.Value)
		if n.Kind != yaml.ScalarNode || err != nil || n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
			d.fail(n, path, "want true or false, got %q", n.Value)
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, t.Bits())
		if n.Kind != yaml.ScalarNode || err != nil {
			d.fail(n, path, "want an integer, got %q", n.Value)
			return
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		i, err := strconv.ParseUint(strings.ReplaceAll(n.Value, "_", ""), 0, t.Bits())
		if n.Kind != yaml.ScalarNode || err != nil {
			d.fail(n, path, "want a non-negative integer, got %q", n.Value)
			return
		}
		v.SetUint(i)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), t.Bits())
		if n.Kind != yaml.ScalarNode || err != nil || n.Tag == "!!str" && n.Style != 0 {
			d.fail(n, path, "want a number, got %q", n.Value)
			return
		}
		v.SetFloat(f)
	case reflect.Interface:
		var x any
		if err := n.Decode(&x); err != nil {
			d.fail(n, path, "%v", err)
			return
		}
		if x != nil {
			v.Set(reflect.ValueOf(x))
		}
	default:
		panic("yamlx: unsupported type " + t.String())
	}
}

func (d *decoder) decodeStruct(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "want a mapping, got %s", kindName(n))
		return
	}
	t := v.Type()
	fields := map[string]int{}
	var names []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if tag == "-" || !f.IsExported() {
			continue
		}
		if tag == "" {
			tag = strings.ToLower(f.Name)
		}
		fields[tag] = i
		names = append(names, tag)
	}
	seen := map[string]bool{}
	skip := d.skip
	d.skip = nil // only the top level of a block
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if skip[k.Value] {
			continue
		}
		idx, ok := fields[k.Value]
		if !ok {
			d.fail(k, join(path, k.Value), "unknown key (valid: %s)", strings.Join(names, ", "))
			continue
		}
		if seen[k.Value] {
			d.fail(k, join(path, k.Value), "given twice")
			continue
		}
		seen[k.Value] = true
		d.decode(n.Content[i+1], join(path, k.Value), v.Field(idx))
	}
	for _, name := range names {
		f := t.Field(fields[name])
		if f.Tag.Get("required") == "true" && !seen[name] {
			d.fail(n, join(path, name), "required")
		}
	}
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return strconv.Quote(n.Value)
	}
	return "something else"
}

// ParseDuration parses a Go duration ("90m", "24h") and also whole days with a d
// suffix ("7d" = 168h, "1d12h").
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var days int64
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.ParseInt(s[:i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		days, s = n, s[i+1:]
	}
	var rest time.Duration
	if s != "" {
		var err error
		rest, err = time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q (want e.g. 24h, 90m, 7d)", s)
		}
	}
	return time.Duration(days)*24*time.Hour + rest, nil
}
