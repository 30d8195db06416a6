package reports

import (
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/closeout-dev/closeout/results"
)

// historyNote says where a failing finding stands in the recorded runs.
func historyNote(f *results.Finding) string {
	h := f.History
	switch {
	case h == nil:
		return ""
	case h.New:
		return "new since the last run"
	default:
		return fmt.Sprintf("open %.1f days, since %s", h.AgeDays, h.FirstSeen.Format("2006-01-02"))
	}
}

// trendOf is the recorded runs' failing findings by severity, with this
// run's added last; nil when the run was not recorded against a history.
func trendOf(doc *document) []results.TrendPoint {
	annotated := len(doc.Meta.Trend) > 0
	now := results.TrendPoint{At: doc.Meta.GeneratedAt, Failing: map[results.Severity]int{}}
	for _, s := range doc.Subjects {
		for _, f := range s.Findings {
			if f.History != nil {
				annotated = true
			}
			if f.Status == results.Fail || f.Status == results.Error {
				now.Failing[f.Severity]++
			}
		}
	}
	if !annotated {
		return nil
	}
	return append(append([]results.TrendPoint(nil), doc.Meta.Trend...), now)
}

var trendColors = map[results.Severity]string{results.Critical: "#7f1d1d", results.High: "#dc2626", results.Medium: "#d97706", results.Low: "#2563eb"}

// trendSVG draws the failing findings of each severity over the runs as
// an inline SVG: no script, no external asset, and it prints.
func trendSVG(points []results.TrendPoint) template.HTML {
	if len(points) == 0 {
		return ""
	}
	const w, h, left, right, bottom, top = 640.0, 180.0, 40.0, 40.0, 24.0, 10.0
	peak := 1
	for _, p := range points {
		for _, n := range p.Failing {
			peak = max(peak, n)
		}
	}
	x := func(i int) float64 {
		if len(points) == 1 {
			return left + (w-left-right)/2
		}
		return left + float64(i)*(w-left-right)/float64(len(points)-1)
	}
	y := func(n int) float64 { return top + (h-top-bottom)*(1-float64(n)/float64(peak)) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="trend" role="img" aria-label="Failing findings by severity over the recorded runs" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" xmlns="http://www.w3.org/2000/svg">`, w, h+18, w, h+18)
	fmt.Fprintf(&b, `<line x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f" stroke="#9ca3af"/>`, left, h-bottom, w-right, h-bottom)
	fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" font-size="10" text-anchor="end" fill="#4b5563">%d</text><text x="%.0f" y="%.1f" font-size="10" text-anchor="end" fill="#4b5563">0</text>`,
		left-4, top+4, peak, left-4, h-bottom+3)
	for i, p := range points {
		if i == 0 || i == len(points)-1 || len(points) <= 8 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" text-anchor="middle" fill="#4b5563">%s</text>`, x(i), h-bottom+14, p.At.Format("Jan 2 15:04"))
		}
	}
	legend := 0
	for _, sev := range []results.Severity{results.Critical, results.High, results.Medium, results.Low} {
		var pts []string
		for i, p := range points {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i), y(p.Failing[sev])))
		}
		color := trendColors[sev]
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"><title>%s</title></polyline>`, color, strings.Join(pts, " "), sev)
		for i, p := range points {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"><title>%s %s: %d failing</title></circle>`, x(i), y(p.Failing[sev]), color, p.At.Format(time.DateOnly), sev, p.Failing[sev])
		}
		fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="10" height="10" fill="%s"/><text x="%.0f" y="%.0f" font-size="11" fill="#111827">%s %d</text>`,
			left+float64(legend)*110, h+6, color, left+float64(legend)*110+14, h+15, sev, points[len(points)-1].Failing[sev])
		legend++
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
