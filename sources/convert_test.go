package sources

import (
	"math"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go/deprecated"
)

func TestHalfFloat(t *testing.T) {
	// IEEE 754 binary16 reference values (Wikipedia, "Half-precision floating-point format").
	cases := []struct {
		bits uint16
		want float64
	}{
		{0x0000, 0},
		{0x3c00, 1},
		{0xc000, -2},
		{0x3555, 0.333251953125},
		{0x7bff, 65504},                // largest normal
		{0x0400, 6.103515625e-5},       // smallest normal, 2^-14
		{0x0001, 5.960464477539063e-8}, // smallest subnormal, 2^-24
		{0x03ff, 6.097555160522461e-5}, // largest subnormal
		{0x7c00, math.Inf(1)},
		{0xfc00, math.Inf(-1)},
	}
	for _, c := range cases {
		if got := halfFloat(c.bits); got != c.want {
			t.Errorf("halfFloat(%#04x) = %v, want %v", c.bits, got, c.want)
		}
	}
	if got := halfFloat(0x7e00); !math.IsNaN(got) {
		t.Errorf("halfFloat(0x7e00) = %v, want NaN", got)
	}
}

func TestDecimalBytes(t *testing.T) {
	cases := []struct {
		b     []byte
		scale int32
		want  float64
	}{
		{[]byte{0x30, 0x39}, 2, 123.45},  // 12345
		{[]byte{0xcf, 0xc7}, 2, -123.45}, // -12345, two's complement
		{[]byte{0xff}, 0, -1},            //
		{[]byte{0x01, 0x00}, -2, 25600},  // negative scale multiplies
		{[]byte{0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 0, 9223372036854775807},
		// 10^30 in 16 bytes: 0x0000000c9f2c9cd04674edea40000000
		{[]byte{0, 0, 0, 0x0c, 0x9f, 0x2c, 0x9c, 0xd0, 0x46, 0x74, 0xed, 0xea, 0x40, 0, 0, 0}, 4, 1e26},
		// -10^30
		{[]byte{0xff, 0xff, 0xff, 0xf3, 0x60, 0xd3, 0x63, 0x2f, 0xb9, 0x8b, 0x12, 0x15, 0xc0, 0, 0, 0}, 4, -1e26},
	}
	for _, c := range cases {
		if got := decimalBytes(c.b, c.scale); got != c.want {
			t.Errorf("decimalBytes(%x, %d) = %v, want %v", c.b, c.scale, got, c.want)
		}
	}
	// 2^53+1 at scale 0 does not fit a float64: the big.Rat path rounds to even.
	if got := decimalFloat(1<<53+1, 0); got != 1<<53 {
		t.Errorf("decimalFloat(2^53+1, 0) = %v, want 2^53", got)
	}
	if got := decimalFloat(1, 30); got != 1e-30 {
		t.Errorf("decimalFloat(1, 30) = %v, want 1e-30", got)
	}
}

func TestInt96Seconds(t *testing.T) {
	cases := []struct {
		x    deprecated.Int96
		want float64
	}{
		{deprecated.Int96{0, 0, 2440588}, 0},                          // 1970-01-01T00:00:00Z
		{deprecated.Int96{1e9, 0, 2440588}, 1},                        // one second later
		{deprecated.Int96{0x73819b00, 0x4e94, 2440587}, -0.5},         // 1969-12-31T23:59:59.5Z: 86399.5e9 ns
		{deprecated.Int96{0, 0, 2451604}, 951782400},                  // 2000-02-29
		{deprecated.Int96{0x8fc3e100, 0x2d07, 2461372}, 1795787110.5}, // 2026-11-27T13:45:10.5Z: 49510.5e9 ns
	}
	for _, c := range cases {
		if got := int96Seconds(c.x); got != c.want {
			t.Errorf("int96Seconds(%v) = %v, want %v", c.x, got, c.want)
		}
	}
}

func TestUnitSeconds(t *testing.T) {
	cases := []struct {
		v, unit int64
		want    float64
	}{
		{1500, 1e6, 1.5},
		{-2, 1e6, -0.002},
		{-1500, 1e6, -1.5},
		{1795787110123456789, 1, 1795787110.123456789},
		{-1, 1, -1e-9},
		{7, 1e9, 7},
	}
	for _, c := range cases {
		if got := unitSeconds(c.v, c.unit); got != c.want {
			t.Errorf("unitSeconds(%d, %d) = %v, want %v", c.v, c.unit, got, c.want)
		}
		// The same instant as a time.Time, through the window-bound path.
		tm := time.Unix(0, c.v*c.unit)
		if c.unit == 1 || c.v*c.unit/c.unit == c.v {
			if got := unixSeconds(tm.Unix(), int64(tm.Nanosecond())); got != c.want {
				t.Errorf("unixSeconds(%v) = %v, want %v", tm, got, c.want)
			}
		}
	}
}
