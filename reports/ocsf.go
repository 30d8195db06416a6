package reports

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"

	"github.com/closeout-dev/closeout/results"
)

// OCSF Compliance Finding, schema 1.3.0: class 2003 in category 2 (Findings),
// activity 1 (Create), so type_uid 200301.
const (
	ocsfVersion     = "1.3.0"
	ocsfClassUID    = 2003
	ocsfCategoryUID = 2
	ocsfActivityID  = 1
	ocsfTypeUID     = ocsfClassUID*100 + ocsfActivityID
)

// ocsfReporter writes one event per finding, one per line.
type ocsfReporter struct {
	w    *bufio.Writer
	enc  *json.Encoder
	meta results.Meta
}

var _ Reporter = (*ocsfReporter)(nil)

func newOCSF(w io.Writer, _ Options) Reporter {
	bw := bufio.NewWriter(w)
	return &ocsfReporter{w: bw, enc: json.NewEncoder(bw)}
}

var ocsfSeverity = map[results.Severity]struct {
	id   int
	name string
}{
	results.Info:     {1, "Informational"},
	results.Low:      {2, "Low"},
	results.Medium:   {3, "Medium"},
	results.High:     {4, "High"},
	results.Critical: {5, "Critical"},
}

// ocsfCompliance maps a status to compliance.status_id: 1 Pass, 2 Warning
// ("did not yield a result due to missing information", our unknown),
// 3 Fail, 99 Other with the status named.
func ocsfCompliance(s results.Status) (int, string) {
	switch s {
	case results.Pass:
		return 1, "Pass"
	case results.Unknown:
		return 2, "Warning"
	case results.Fail:
		return 3, "Fail"
	default:
		return 99, string(s)
	}
}

func (r *ocsfReporter) Begin(meta results.Meta) error { r.meta = meta; return nil }

func (r *ocsfReporter) Subject(s *results.Subject) error {
	for _, f := range s.Findings {
		sev := ocsfSeverity[f.Severity]
		statusID, status := ocsfCompliance(f.Status)
		uid := sha256.Sum256([]byte(s.Tenant + "\x00" + s.Subject + "\x00" + f.PolicyID + "\x00" + s.SHA256))
		info := map[string]any{
			"uid":   hex.EncodeToString(uid[:16]),
			"title": f.Title,
			"desc":  f.Message,
			"types": []string{"closeout/" + f.Checklist},
		}
		event := map[string]any{
			"activity_id":   ocsfActivityID,
			"activity_name": "Create",
			"category_uid":  ocsfCategoryUID,
			"category_name": "Findings",
			"class_uid":     ocsfClassUID,
			"class_name":    "Compliance Finding",
			"type_uid":      ocsfTypeUID,
			"type_name":     "Compliance Finding: Create",
			"time":          r.meta.GeneratedAt.UnixMilli(),
			"severity_id":   sev.id,
			"severity":      sev.name,
			"message":       f.Message,
			"metadata": map[string]any{
				"version": ocsfVersion,
				"product": map[string]any{"name": "closeout", "vendor_name": "closeout", "version": r.meta.Tool.Version},
				"labels":  ocsfLabels(r.meta),
			},
			"finding_info": info,
			"compliance": map[string]any{
				"control":   f.PolicyID,
				"standards": []string{"closeout compromised-account checklist"},
				"requirements": []string{
					f.Checklist,
				},
				"status_id": statusID,
				"status":    status,
			},
			"resources": []map[string]any{{
				"uid":  s.Subject,
				"name": s.Subject,
				"type": "Microsoft Entra ID user",
			}},
			"unmapped": map[string]any{
				"closeout_status": f.Status,
				"mode":            s.Mode,
				"incident":        s.Incident,
				"tenant":          s.Tenant,
				"snapshot":        map[string]string{"source": s.Source, "sha256": s.SHA256},
				"evidence":        f.Evidence,
			},
		}
		if f.Remediation != "" && open(&f) {
			remediation := map[string]any{"desc": f.Remediation}
			if len(f.References) > 0 {
				remediation["references"] = f.References
			}
			event["remediation"] = remediation
		}
		if err := r.enc.Encode(event); err != nil {
			return err
		}
	}
	return nil
}

func (r *ocsfReporter) End(results.Summary) error { return r.w.Flush() }

// ocsfLabels are an event's metadata labels: the policy set, and "partial"
// for a scan merged with shards missing.
func ocsfLabels(meta results.Meta) []string {
	labels := []string{"policy-set:" + meta.PolicySet.Digest}
	if meta.Partial != "" {
		labels = append(labels, "partial-scan")
	}
	return labels
}
