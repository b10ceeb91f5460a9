package console

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

type page struct {
	tmpl *template.Template
}

var funcs = template.FuncMap{
	"any":      renderAny,
	"ago":      ago,
	"when":     when,
	"title":    title,
	"json":     jsonText,
	"join":     strings.Join,
	"add":      func(a, b int) int { return a + b },
	"pct":      pct,
	"nonempty": func(s string) bool { return strings.TrimSpace(s) != "" },
}

// mustParse builds one template set per page: the layout plus the page.
func (c *Console) mustParse() {
	if c.pages != nil {
		return
	}
	c.pages = map[string]*page{}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, n := range names {
		base := strings.TrimSuffix(path.Base(n), ".html")
		if base == "layout" {
			continue
		}
		t := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n))
		c.pages[base] = &page{tmpl: t}
	}
}

// render writes page name with data; the layout reads .Page, .CSRF,
// .Queues and .Nav beside the page's own fields.
func (c *Console) render(ctx *gin.Context, status int, name string, data map[string]any) {
	p, ok := c.pages[name]
	if !ok {
		ctx.String(http.StatusInternalServerError, "no page "+name)
		return
	}
	if data == nil {
		data = map[string]any{}
	}
	data["Page"] = name
	if csrf, ok := ctx.Get(ctxCSRF); ok {
		data["CSRF"] = csrf
		data["LoggedIn"] = true
	}
	data["Queues"] = c.QueuesURL
	var buf bytes.Buffer
	if err := p.tmpl.Execute(&buf, data); err != nil {
		c.Log.Error("console template", "page", name, "err", err)
		ctx.String(http.StatusInternalServerError, "the page could not be rendered")
		return
	}
	ctx.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// fragment renders one named template of a page without the layout (the
// part a live refresh replaces).
func (c *Console) fragment(ctx *gin.Context, name, block string, data map[string]any) {
	var buf bytes.Buffer
	if err := c.pages[name].tmpl.ExecuteTemplate(&buf, block, data); err != nil {
		ctx.String(http.StatusInternalServerError, "the fragment could not be rendered")
		return
	}
	ctx.Data(http.StatusOK, "text/html; charset=utf-8", buf.Bytes())
}

func assets(ctx *gin.Context) {
	name := strings.TrimPrefix(ctx.Param("file"), "/")
	b, err := staticFS.ReadFile("static/" + name)
	if err != nil || strings.Contains(name, "..") {
		ctx.Status(http.StatusNotFound)
		return
	}
	ct := "application/octet-stream"
	switch path.Ext(name) {
	case ".css":
		ct = "text/css; charset=utf-8"
	case ".js":
		ct = "text/javascript; charset=utf-8"
	case ".svg":
		ct = "image/svg+xml"
	}
	ctx.Header("Cache-Control", "public, max-age=3600")
	ctx.Data(http.StatusOK, ct, b)
}

// renderAny renders any JSON-shaped value as HTML: objects as definition
// lists, lists of objects as tables, scalars as text. Sections other
// helpers add to the 360° view appear through it without a template.
func renderAny(v any) template.HTML {
	var b strings.Builder
	writeAny(&b, normalize(v), 0)
	return template.HTML(b.String()) //nolint:gosec // every value is escaped by writeAny
}

// normalize turns structs into their JSON shape.
func normalize(v any) any {
	switch v.(type) {
	case nil, string, bool, float64, map[string]any, []any:
		return v
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	var out any
	if json.Unmarshal(b, &out) != nil {
		return string(b)
	}
	return out
}

func writeAny(b *strings.Builder, v any, depth int) {
	switch x := v.(type) {
	case nil:
		b.WriteString(`<span class="muted">—</span>`)
	case string:
		if x == "" {
			b.WriteString(`<span class="muted">—</span>`)
			return
		}
		b.WriteString(html.EscapeString(x))
	case bool:
		if x {
			b.WriteString("yes")
		} else {
			b.WriteString("no")
		}
	case float64:
		b.WriteString(strconv.FormatFloat(x, 'f', -1, 64))
	case map[string]any:
		if len(x) == 0 {
			b.WriteString(`<span class="muted">—</span>`)
			return
		}
		if depth > 3 {
			b.WriteString("<code>" + html.EscapeString(jsonText(x)) + "</code>")
			return
		}
		b.WriteString(`<dl class="kv">`)
		for _, k := range sortedKeys(x) {
			b.WriteString("<dt>" + html.EscapeString(title(k)) + "</dt><dd>")
			writeAny(b, x[k], depth+1)
			b.WriteString("</dd>")
		}
		b.WriteString("</dl>")
	case []any:
		if len(x) == 0 {
			b.WriteString(`<span class="muted">none</span>`)
			return
		}
		if cols := tableColumns(x); cols != nil && depth <= 2 {
			b.WriteString(`<div class="scroll"><table><thead><tr>`)
			for _, c := range cols {
				b.WriteString("<th>" + html.EscapeString(title(c)) + "</th>")
			}
			b.WriteString("</tr></thead><tbody>")
			for _, row := range x {
				m := row.(map[string]any)
				b.WriteString("<tr>")
				for _, c := range cols {
					b.WriteString(`<td data-label="` + html.EscapeString(title(c)) + `">`)
					writeAny(b, m[c], depth+1)
					b.WriteString("</td>")
				}
				b.WriteString("</tr>")
			}
			b.WriteString("</tbody></table></div>")
			return
		}
		b.WriteString(`<ul class="plain">`)
		for _, e := range x {
			b.WriteString("<li>")
			writeAny(b, e, depth+1)
			b.WriteString("</li>")
		}
		b.WriteString("</ul>")
	default:
		b.WriteString(html.EscapeString(fmt.Sprint(x)))
	}
}

// tableColumns are the keys of a list whose entries are all objects
// (first seen first), nil otherwise.
func tableColumns(x []any) []string {
	var cols []string
	seen := map[string]bool{}
	for _, e := range x {
		m, ok := e.(map[string]any)
		if !ok {
			return nil
		}
		for _, k := range sortedKeys(m) {
			if !seen[k] {
				seen[k] = true
				cols = append(cols, k)
			}
		}
	}
	if len(cols) > 10 {
		cols = cols[:10]
	}
	return cols
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// title turns a JSON key into a heading: "order_figures" → "Order figures".
func title(k string) string {
	k = strings.ReplaceAll(k, "_", " ")
	if k == "" {
		return k
	}
	return strings.ToUpper(k[:1]) + k[1:]
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// timeOf reads a template value as a time: the handlers hand the templates
// time.Time, *time.Time or, from JSON, RFC 3339 strings. ok is false for
// anything else and for a string that does not parse; a nil pointer is the
// zero time (never set).
func timeOf(v any) (t time.Time, ok bool) {
	switch x := v.(type) {
	case time.Time:
		return x, true
	case *time.Time:
		if x == nil {
			return time.Time{}, true
		}
		return *x, true
	case string:
		p, err := time.Parse(time.RFC3339Nano, x)
		return p, err == nil
	}
	return time.Time{}, false
}

// when formats a time (or an RFC 3339 string) for people, in UTC.
func when(v any) string {
	t, ok := timeOf(v)
	if !ok {
		return fmt.Sprint(v)
	}
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

// ago says how long ago t was, roughly.
func ago(v any) string {
	t, ok := timeOf(v)
	if s, isText := v.(string); !ok && isText {
		return s // not a time: shown as it is rather than hidden as "never"
	}
	if t.IsZero() {
		return "never"
	}
	d := time.Since(t)
	switch {
	case d < 0:
		return "just now"
	case d < time.Minute:
		return strconv.Itoa(int(d.Seconds())) + " s ago"
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + " min ago"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d.Hours())) + " h ago"
	}
	return strconv.Itoa(int(d.Hours()/24)) + " days ago"
}
