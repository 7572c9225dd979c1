package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/secondbloom/marketplace/ports"
)

var _ ports.MediaMetrics = (*Metrics)(nil)

// mediaRefusalReasons are the values of the reason label, created up front
// so rate() works before the first refusal.
var mediaRefusalReasons = []string{"unsupported", "too_many_pixels", "corrupt", "too_large", "rate_limited", "busy", "error"}

type mediaMetrics struct {
	uploads    prometheus.Counter
	bytes      prometheus.Counter
	processing prometheus.Histogram
	refused    *prometheus.CounterVec
}

func newMediaMetrics(reg *prometheus.Registry) *mediaMetrics {
	m := &mediaMetrics{
		uploads: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: Namespace, Name: "media_uploads_total",
			Help: "Photo uploads accepted and stored.",
		}),
		bytes: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: Namespace, Name: "media_stored_bytes_total",
			Help: "Bytes of re-encoded originals stored for accepted uploads.",
		}),
		processing: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "media_processing_seconds",
			Help:    "Time to decode, re-encode and resize one accepted upload.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 10},
		}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "media_uploads_refused_total",
			Help: "Photo uploads refused, by reason.",
		}, []string{"reason"}),
	}
	reg.MustRegister(m.uploads, m.bytes, m.processing, m.refused)
	for _, r := range mediaRefusalReasons {
		m.refused.WithLabelValues(r)
	}
	return m
}

// MediaUploaded counts an accepted upload.
func (m *Metrics) MediaUploaded(bytes int64, processing time.Duration) {
	m.media.uploads.Inc()
	m.media.bytes.Add(float64(bytes))
	m.media.processing.Observe(processing.Seconds())
}

// MediaRefused counts a refused upload; an unknown reason counts as
// "error", keeping the label bounded.
func (m *Metrics) MediaRefused(reason string) {
	for _, r := range mediaRefusalReasons {
		if r == reason {
			m.media.refused.WithLabelValues(reason).Inc()
			return
		}
	}
	m.media.refused.WithLabelValues("error").Inc()
}
