package scan

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A scan directory is checked on --resume, never trusted: each way of
// tampering with a finished scan's checkpoint (by hand, by another program,
// by an attacker with write access to the volume) stops the resume with a
// message saying what does not match, and nothing is dropped, doubled or
// padded silently.
func TestResumeRefusesATamperedCheckpoint(t *testing.T) {
	srv, _ := generated(t, 10)
	finished := t.TempDir()
	if _, err := Run(context.Background(), options(srv, finished)); err != nil {
		t.Fatal(err)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(finished, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	snaps, log := read(snapshotsName), read(checkpointName)
	logLines := strings.SplitAfter(strings.TrimSuffix(log, "\n"), "\n")
	snapLines := strings.SplitAfter(strings.TrimSuffix(snaps, "\n"), "\n")
	for i := range logLines {
		logLines[i] = strings.TrimSuffix(logLines[i], "\n") + "\n"
		snapLines[i] = strings.TrimSuffix(snapLines[i], "\n") + "\n"
	}
	field := func(i, f int) string { return strings.Fields(logLines[i])[f] }
	ghost := strings.Replace(snapLines[0], field(0, 1), "ghost@evil.example", 1)

	for _, c := range []struct {
		name       string
		snaps, log string
		want       string
	}{{
		name:  "a done line for a line never written",
		snaps: strings.Join(snapLines[:len(snapLines)-1], ""),
		log:   log,
		want:  "vouches for bytes",
	}, {
		name:  "an id vouching for another account's line",
		snaps: snaps,
		log:   strings.Replace(log, "done "+field(0, 1)+" ", "done "+field(1, 1)+" ", 1),
		want:  "the line it vouches for is account",
	}, {
		name:  "one account vouched for twice",
		snaps: snaps + snapLines[0],
		log:   log + fmt.Sprintf("done %s %d\n", field(0, 1), len(snaps)+len(snapLines[0])),
		want:  "vouched for twice",
	}, {
		name:  "an offset far past the file (padding with NUL bytes)",
		snaps: snaps,
		log:   log + fmt.Sprintf("done %s 50000000\n", "x"),
		want:  "vouches for bytes",
	}, {
		name:  "an account the tenant does not list",
		snaps: snaps + ghost,
		log:   log + fmt.Sprintf("done ghost@evil.example %d\n", len(snaps)+len(ghost)),
		want:  "the tenant does not list (ghost@evil.example)",
	}, {
		name:  "a line that is not the checkpoint's",
		snaps: snaps,
		log:   log + "rm -rf /\n",
		want:  "is not a checkpoint line",
	}} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, snapshotsName), []byte(c.snaps), 0o600)
			os.WriteFile(filepath.Join(dir, checkpointName), []byte(c.log), 0o600)
			opts := options(srv, dir)
			opts.Resume = true
			_, err := Run(context.Background(), opts)
			var cpErr *CheckpointError
			if !errors.As(err, &cpErr) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("resume: %v; want a checkpoint error saying %q", err, c.want)
			}
			if st, _ := os.Stat(filepath.Join(dir, snapshotsName)); st.Size() > int64(len(c.snaps)) {
				t.Errorf("snapshots.jsonl grew from %d to %d bytes", len(c.snaps), st.Size())
			}
		})
	}

	// Links planted for the scan's files are refused, their targets left
	// as they were.
	for _, name := range []string{snapshotsName, checkpointName} {
		t.Run("a link for "+name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, snapshotsName), []byte(snaps), 0o600)
			os.WriteFile(filepath.Join(dir, checkpointName), []byte(log), 0o600)
			victim := filepath.Join(t.TempDir(), "victim.db")
			os.WriteFile(victim, []byte("precious"), 0o600)
			os.Remove(filepath.Join(dir, name))
			if err := os.Symlink(victim, filepath.Join(dir, name)); err != nil {
				t.Skip("no symbolic links:", err)
			}
			opts := options(srv, dir)
			opts.Resume = true
			if _, err := Run(context.Background(), opts); err == nil || !strings.Contains(err.Error(), "symbolic link") {
				t.Errorf("resume through a link: %v", err)
			}
			if b, _ := os.ReadFile(victim); string(b) != "precious" {
				t.Errorf("the link's target was written: %q", b)
			}
		})
	}
}

// A finished scan resumed changes nothing and says so; an unfinished one
// resumes only as it began: another shard, filter or policy set is refused;
// a directory holding another tenant's scan is refused.
func TestResumeFollowsTheManifest(t *testing.T) {
	srv, _ := generated(t, 10)
	dir := t.TempDir()
	if _, err := Run(context.Background(), options(srv, dir)); err != nil {
		t.Fatal(err)
	}
	man, err := ReadManifest(dir)
	if err != nil || man.Finished == nil || man.Accounts == 0 || man.Tenant.Domain != "contoso.com" {
		t.Fatalf("manifest of a finished scan: %+v, %v", man, err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, snapshotsName))
	opts := options(srv, dir)
	opts.Resume = true
	var fin *FinishedError
	if _, err := Run(context.Background(), opts); !errors.As(err, &fin) || !strings.Contains(err.Error(), "nothing to resume") {
		t.Fatalf("resume of a finished scan: %v", err)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, snapshotsName)); string(after) != string(before) {
		t.Error("resuming a finished scan changed its snapshots")
	}

	man.Finished = nil
	writeManifest(dir, man)
	for name, change := range map[string]func(*Options){
		"shard":    func(o *Options) { o.Shard, o.Shards = 1, 2 },
		"group":    func(o *Options) { o.Group = "g1" },
		"exclude":  func(o *Options) { o.Exclude = []string{"a*"} },
		"sections": func(o *Options) { o.Sections = []string{"user"} },
	} {
		opts := options(srv, dir)
		opts.Resume = true
		change(&opts)
		var conflict *ConflictError
		if _, err := Run(context.Background(), opts); !errors.As(err, &conflict) {
			t.Errorf("%s changed on resume: %v", name, err)
		}
	}
	man.Tenant.ID = "11111111-2222-3333-4444-555555555555"
	writeManifest(dir, man)
	var wrong *WrongTenantError
	if _, err := Run(context.Background(), opts); !errors.As(err, &wrong) {
		t.Errorf("resume of another tenant's scan: %v", err)
	}
}
