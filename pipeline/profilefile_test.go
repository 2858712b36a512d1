package pipeline

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"testing"
	"time"
)

// roundTrip writes p and reads it back.
func roundTrip(t *testing.T, p *Profile) (*Profile, []byte) {
	t.Helper()
	var buf bytes.Buffer
	n, err := p.WriteTo(&buf)
	if err != nil || n != int64(buf.Len()) {
		t.Fatalf("WriteTo = %d, %v (wrote %d)", n, err, buf.Len())
	}
	q, err := ReadProfile(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("ReadProfile = %v", err)
	}
	return q, buf.Bytes()
}

// TestProfileFile_RoundTrip: a profile read back from its file gives the same report,
// in both modes, and writing it again gives the same bytes.
func TestProfileFile_RoundTrip(t *testing.T) {
	ref := profileTable("ref", 3000, 0, 11)
	cur := profileTable("cur", 70_000, 0.2, 12)
	w := Window{Start: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)}
	for _, mode := range []ProfileMode{ProfileExact, ProfileSketch} {
		t.Run(mode.String(), func(t *testing.T) {
			rp := buildProfile(t, ref, ProfileOptions{Mode: mode, Source: "ref"})
			cp := buildProfile(t, cur, ProfileOptions{Mode: mode, Reference: rp, Window: w, Source: "cur"})
			rq, rb := roundTrip(t, rp)
			cq, cb := roundTrip(t, cp)
			if !cq.Window.Start.Equal(w.Start) || !cq.Window.End.Equal(w.End) || cq.Source != "cur" || cq.Rows != cp.Rows {
				t.Errorf("window, source, rows = %v, %q, %d", cq.Window, cq.Source, cq.Rows)
			}
			want := runReport(t, ProfileDataset(rp, "r"), ProfileDataset(cp, "c"), allMethods())
			got := runReport(t, ProfileDataset(rq, "r"), ProfileDataset(cq, "c"), allMethods())
			if columnsJSON(t, got) != columnsJSON(t, want) {
				t.Errorf("report from the read-back profiles differs")
			}
			_, rb2 := roundTrip(t, rq)
			_, cb2 := roundTrip(t, cq)
			if !bytes.Equal(rb, rb2) || !bytes.Equal(cb, cb2) {
				t.Errorf("writing a read-back profile gives different bytes")
			}
			compareProfiles(t, cq, cp)
		})
	}
}

// TestProfileFile_Corrupt: truncations, flipped bytes, a newer version and other
// files are errors wrapping ErrProfileFormat, never panics.
func TestProfileFile_Corrupt(t *testing.T) {
	p := buildProfile(t, profileTable("t", 2000, 0, 13), ProfileOptions{Mode: ProfileSketch})
	_, b := roundTrip(t, p)
	check := func(name string, data []byte) {
		t.Helper()
		_, err := ReadProfile(bytes.NewReader(data))
		if !errors.Is(err, ErrProfileFormat) {
			t.Errorf("%s: ReadProfile = %v, want ErrProfileFormat", name, err)
		}
	}
	for _, n := range []int{0, 7, 15, 16, 100, len(b) / 2, len(b) - 1} {
		check("truncated", b[:n])
	}
	for _, i := range []int{20, 200, len(b) / 2, len(b) - 2} {
		c := bytes.Clone(b)
		c[i] ^= 0x40
		check("flipped", c)
	}
	newer := bytes.Clone(b)
	binary.LittleEndian.PutUint16(newer[8:], ProfileFormatVersion+1)
	check("newer version", newer)
	check("trailing", append(bytes.Clone(b), 0))
	check("parquet", []byte("PAR1\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	if !IsProfile(b) || IsProfile([]byte("PAR1xxxx")) {
		t.Errorf("IsProfile wrong")
	}
}

func FuzzReadProfile(f *testing.F) {
	tab := profileTable("t", 300, 0, 14)
	for _, mode := range []ProfileMode{ProfileExact, ProfileSketch} {
		src, _ := tab.Open(f.Context(), Window{})
		p, err := BuildProfile(f.Context(), src, ProfileOptions{Mode: mode, Roles: profileRoles})
		if err != nil {
			f.Fatal(err)
		}
		var buf bytes.Buffer
		p.WriteTo(&buf)
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// fix the checksum so that mutations reach the structure checks
		if len(data) >= 28 {
			data = bytes.Clone(data)
			binary.LittleEndian.PutUint32(data[len(data)-4:], crc32.Checksum(data[:len(data)-4], crcTable))
		}
		p, err := ReadProfile(bytes.NewReader(data))
		if err != nil {
			return
		}
		// a profile that reads must also run and merge without panicking
		if _, err := Merge(p, p); err != nil {
			return
		}
		Run(t.Context(), Input{Reference: ProfileDataset(p, ""), Current: ProfileDataset(p, "")}, Options{Methods: MethodNames()})
	})
}
