package slug

import "testing"

func TestMake(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"ascii", "Red Roses", "red-roses"},
		{"uzbek latin with apostrophe", "Qizil atirgul o‘zbek", "qizil-atirgul-o-zbek"},
		{"cyrillic", "Красные розы", "красные-розы"},
		{"punctuation runs collapse", "  Roses!!! -- 25 pcs ", "roses-25-pcs"},
		{"digits kept", "101 tulips", "101-tulips"},
		{"only emoji falls back", "🌹🌹 !!", "product"},
		{"empty falls back", "", "product"},
		{"combining mark kept", "йо", "йо"},
		{"uppercase cyrillic", "ТЮЛЬПАНЫ", "тюльпаны"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Make(tc.in, "product"); got != tc.want {
				t.Errorf("Make(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestMakeBoundsLength(t *testing.T) {
	long := ""
	for i := 0; i < 300; i++ {
		long += "я"
	}
	if got := []rune(Make(long, "x")); len(got) != MaxBaseLength {
		t.Errorf("len(Make(300 letters)) = %d, want %d", len(got), MaxBaseLength)
	}
}

func TestWithSuffix(t *testing.T) {
	tests := []struct {
		n    int
		want string
	}{{0, "roses"}, {1, "roses"}, {2, "roses-2"}, {10, "roses-10"}}
	for _, tc := range tests {
		if got := WithSuffix("roses", tc.n); got != tc.want {
			t.Errorf("WithSuffix(roses, %d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}
