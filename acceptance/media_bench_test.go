package acceptance

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/acceptance/testenv"
	"github.com/secondbloom/marketplace/adapters/imaging/imagingtest"
)

// The two benchmarks below measure resident memory of the whole server
// process (the test binary) while 12-megapixel phone photos (4000x3000
// JPEG, about 4 MB) are uploaded through the HTTP adapter: the peak
// resident set (VmHWM, reset to the current RSS just before the uploads
// through /proc/self/clear_refs) and the baseline before them. Run each
// alone, so the other's peak does not count:
//
//	go test -run '^$' -bench 'LargeUpload$' -benchtime 3x ./acceptance/
//	go test -run '^$' -bench 'TenConcurrentLargeUploads' -benchtime 1x ./acceptance/

// procStatusKB returns a field of /proc/self/status in KiB, or -1.
func procStatusKB(field string) float64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			if err == nil {
				return float64(n)
			}
		}
	}
	return -1
}

// cpuSeconds returns the user and system CPU time the process used: on a
// machine shared with other work it says more than the wall clock.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// resetPeak drops garbage and resets VmHWM to the current RSS; it returns
// that RSS in MiB.
func resetPeak(b *testing.B) float64 {
	runtime.GC()
	debug.FreeOSMemory()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Skipf("cannot reset the peak RSS: %v", err)
	}
	return procStatusKB("VmRSS") / 1024
}

func benchUploads(b *testing.B, concurrent int) {
	e := testenv.New(b, testenv.Memory, catalogOptions())
	seller := e.SignIn(b, sellerPhone)
	photo := imagingtest.LargePhoto(b)
	body, ct := multipartBodyTB(b, photo)
	// A real listener and client: app.Test would add copies of each body
	// and a 30 s deadline that queued uploads on a busy machine exceed.
	url := e.Listen(b)
	client := &http.Client{Timeout: 5 * time.Minute}
	var worstPeak, base float64
	cpu0 := cpuSeconds()
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		base = resetPeak(b)
		b.StartTimer()
		var wg sync.WaitGroup
		for range concurrent {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, err := http.NewRequest(http.MethodPost, url+"/api/v1/media", bytes.NewReader(body))
				if err != nil {
					b.Error(err)
					return
				}
				req.Header.Set("Content-Type", ct)
				req.Header.Set("Authorization", "Bearer "+seller.AccessToken)
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					b.Errorf("upload = %d", resp.StatusCode)
				}
			}()
		}
		wg.Wait()
		worstPeak = max(worstPeak, procStatusKB("VmHWM")/1024)
	}
	b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N*concurrent), "cpu-s/upload")
	b.ReportMetric(float64(len(photo))/(1<<20), "photo-MB")
	b.ReportMetric(base, "baseRSS-MB")
	b.ReportMetric(worstPeak, "peakRSS-MB")
	b.ReportMetric(worstPeak-base, "extraRSS-MB")
}

func multipartBodyTB(b *testing.B, data []byte) ([]byte, string) {
	var buf bytes.Buffer
	boundary := "benchboundary0123456789"
	buf.WriteString("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"IMG_0001.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n")
	buf.Write(data)
	buf.WriteString("\r\n--" + boundary + "--\r\n")
	return buf.Bytes(), "multipart/form-data; boundary=" + boundary
}

// BenchmarkLargeUpload: one 12 MP upload at a time.
func BenchmarkLargeUpload(b *testing.B) { benchUploads(b, 1) }

// BenchmarkTenConcurrentLargeUploads: ten 12 MP uploads at once; two are
// processed at a time, the others wait their turn.
func BenchmarkTenConcurrentLargeUploads(b *testing.B) { benchUploads(b, 10) }
