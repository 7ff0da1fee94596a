package main

import (
	"fmt"
	"html"
	"math"
	"strings"
	"time"
)

// The plot's layout, in SVG user units: panels in a grid under a header.
const (
	panelW, panelH = 560, 300
	columns        = 2
	headerH        = 70
	plotLeft       = 70 // room for the axis labels
	plotTop        = 40 // room for the panel's title
	plotBottom     = 40 // room for the round-trip labels
	plotRight      = 20
)

var toolColors = map[string]string{toolCyradm: "#d62728", toolGocyradm: "#1f77b4", toolRaw: "#8c8c8c"}

// panel is one chart: a bar per tool in a group per round-trip time, on a log scale or
// a linear one from zero.
type panel struct {
	title  string
	linear bool
	tools  []string
	value  func(rtt time.Duration, tool string) float64 // 0 when not measured
	label  func(v float64) string                       // a bar's value
	axis   func(v float64) string                       // a power of ten on the axis
	groups []time.Duration
}

// svg draws one time panel per scenario and one peak-memory panel for lm.
func (r *report) svg() string {
	var panels []panel
	for _, sc := range r.scenarios {
		panels = append(panels, panel{
			title: sc.title + ": time", tools: toolNames, groups: r.cfg.rtts,
			value: func(rtt time.Duration, tool string) float64 {
				return float64(r.results.median(sc.key, rtt, tool)) / float64(time.Millisecond)
			},
			label: func(v float64) string { return formatDuration(time.Duration(v * float64(time.Millisecond))) },
			axis:  msAxis,
		})
		if sc.key == "lm" {
			panels = append(panels, panel{
				title: sc.title + ": peak RSS", tools: toolNames[:2], groups: r.cfg.rtts, linear: true,
				value: func(rtt time.Duration, tool string) float64 {
					return float64(r.results.medianRSS(sc.key, rtt, tool)) / 1024
				},
				label: func(v float64) string { return significant(v) + " MiB" },
				axis:  func(v float64) string { return fmt.Sprintf("%g MiB", v) },
			})
		}
	}
	rows := (len(panels) + columns - 1) / columns
	width, height := columns*panelW, headerH+rows*panelH
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", width, height)
	r.svgHeader(&b)
	for i, p := range panels {
		p.draw(&b, float64(i%columns*panelW), float64(headerH+i/columns*panelH))
	}
	if len(panels)%columns != 0 {
		r.svgNotes(&b, float64(len(panels)%columns*panelW), float64(headerH+len(panels)/columns*panelH))
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// svgHeader writes the title and the legend.
func (r *report) svgHeader(b *strings.Builder) {
	fmt.Fprintf(b, `<text x="20" y="28" font-size="18" font-weight="bold">%s</text>`+"\n",
		esc(fmt.Sprintf("gocyradm vs cyradm vs raw pipelined IMAP — medians of %d runs", r.cfg.runs)))
	x := 20.0
	for _, tool := range toolNames {
		name := tool
		if tool == toolRaw {
			name = "raw IMAP, pipelined on one connection"
		}
		fmt.Fprintf(b, `<rect x="%.0f" y="42" width="14" height="14" fill="%s"/>`, x, toolColors[tool])
		fmt.Fprintf(b, `<text x="%.0f" y="54" font-size="13">%s</text>`+"\n", x+20, esc(name))
		x += 40 + 7.5*float64(len(name))
	}
}

// svgNotes explains the plot in the free space of the last row.
func (r *report) svgNotes(b *strings.Builder, x0, y0 float64) {
	notes := []string{
		fmt.Sprintf("Medians of %d runs; times on log scales, peak RSS on a linear one.", r.cfg.runs),
		"Round trip: the delay a proxy on loopback adds (half each way).",
		"raw: the same IMAP, every command sent before any answer is awaited.",
		"No raw peak RSS: it runs inside the benchmark's own process.",
	}
	for _, f := range r.machine {
		if f.name == "CPU" || f.name == "cores" || f.name == "Cyrus IMAP server" {
			notes = append(notes, f.name+": "+f.value)
		}
	}
	for i, n := range notes {
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" font-size="12" fill="#444">%s</text>`+"\n", x0+plotLeft, y0+plotTop+18*float64(i), esc(n))
	}
}

// draw draws the panel with its top left corner at x0, y0.
func (p panel) draw(b *strings.Builder, x0, y0 float64) {
	w, h := float64(panelW-plotLeft-plotRight), float64(panelH-plotTop-plotBottom)
	left, bottom := x0+plotLeft, y0+plotTop+h
	fmt.Fprintf(b, `<text x="%.1f" y="%.1f" font-size="14" font-weight="bold">%s</text>`+"\n", left, y0+22, esc(p.title))
	y := p.drawAxis(b, left, bottom, w, h)
	groupW := w / float64(len(p.groups))
	barW := groupW * 0.8 / float64(len(p.tools))
	for g, rtt := range p.groups {
		gx := left + groupW*float64(g) + groupW*0.1
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" font-size="12" text-anchor="middle">%s</text>`+"\n", gx+groupW*0.4, bottom+18, esc(formatRTT(rtt)+" round trip"))
		for t, tool := range p.tools {
			p.bar(b, gx+barW*float64(t), barW, bottom, y, tool, p.value(rtt, tool))
		}
	}
	fmt.Fprintf(b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#333"/>`+"\n", left, left+w, bottom, bottom)
}

// drawAxis draws the gridlines and their labels, and returns the scale: the height of a
// value.
func (p panel) drawAxis(b *strings.Builder, left, bottom, w, h float64) func(float64) float64 {
	var ticks []float64
	var y func(float64) float64
	if p.linear {
		step, n := linearTicks(p.max())
		for i := 0; i <= n; i++ {
			ticks = append(ticks, step*float64(i))
		}
		y = func(v float64) float64 { return bottom - h*v/(step*float64(n)) }
	} else {
		lo, hi := p.bounds()
		for d := lo; d <= hi; d++ {
			ticks = append(ticks, math.Pow(10, d))
		}
		y = func(v float64) float64 { return bottom - h*(math.Log10(v)-lo)/(hi-lo) }
	}
	for _, v := range ticks {
		fmt.Fprintf(b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#ddd"/>`, left, left+w, y(v), y(v))
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" font-size="11" text-anchor="end">%s</text>`+"\n", left-6, y(v)+4, esc(p.axis(v)))
	}
	return y
}

// linearTicks returns a round step (1, 2 or 5 times a power of ten) and how many steps
// reach max.
func linearTicks(max float64) (step float64, n int) {
	if max <= 0 {
		return 1, 1
	}
	mag := math.Pow(10, math.Floor(math.Log10(max/4)))
	for _, m := range []float64{1, 2, 5, 10} {
		if step = m * mag; max/step <= 5 {
			break
		}
	}
	return step, int(math.Ceil(max / step))
}

// max returns the panel's largest value.
func (p panel) max() float64 {
	m := 0.0
	for _, rtt := range p.groups {
		for _, tool := range p.tools {
			m = math.Max(m, p.value(rtt, tool))
		}
	}
	return m
}

// bar draws one value with its label above it; nothing when it was not measured.
func (p panel) bar(b *strings.Builder, x, w, bottom float64, y func(float64) float64, tool string, v float64) {
	if v <= 0 {
		return
	}
	top := y(v)
	fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s</title></rect>`,
		x+1, top, w-2, bottom-top, toolColors[tool], esc(tool+": "+p.label(v)))
	fmt.Fprintf(b, `<text x="%.1f" y="%.1f" font-size="10" text-anchor="middle">%s</text>`+"\n", x+w/2, top-3, esc(p.label(v)))
}

// bounds returns the decades, as powers of ten, that enclose the panel's values.
func (p panel) bounds() (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, rtt := range p.groups {
		for _, tool := range p.tools {
			if v := p.value(rtt, tool); v > 0 {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	if math.IsInf(lo, 1) {
		return 0, 1
	}
	// Half the smallest value keeps its bar at least a third of a decade tall.
	lo, hi = math.Floor(math.Log10(lo/2)), math.Ceil(math.Log10(hi))
	if hi <= lo {
		hi = lo + 1
	}
	return lo, hi
}

// msAxis labels a power of ten of milliseconds.
func msAxis(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%g s", v/1000)
	}
	return fmt.Sprintf("%g ms", v)
}

// esc escapes text for XML.
func esc(s string) string { return html.EscapeString(s) }
