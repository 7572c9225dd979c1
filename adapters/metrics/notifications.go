package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// RegisterNotifications exposes the notification outbox and streams:
// secondbloom_notification_backlog and
// secondbloom_notification_oldest_pending_seconds (read from backlog at
// scrape time), secondbloom_notification_deliveries_total{channel,result}
// (see NotificationDelivered) and secondbloom_stream_connections{kind}
// (from open). Call it once.
func (m *Metrics) RegisterNotifications(backlog func(context.Context) (int, time.Duration, error), open func() (users, auctions int)) {
	deliveries := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "notification_deliveries_total",
		Help: "Notification delivery attempts by channel (push, sms) and result (sent, retry, failed).",
	}, []string{"channel", "result"})
	m.reg.MustRegister(deliveries, &backlogCollector{
		read: backlog,
		size: prometheus.NewDesc(Namespace+"_notification_backlog", "Pending notification deliveries.", nil, nil),
		age: prometheus.NewDesc(Namespace+"_notification_oldest_pending_seconds",
			"Age of the oldest pending notification delivery (0 when none).", nil, nil),
	}, &streamsCollector{open: open, desc: prometheus.NewDesc(Namespace+"_stream_connections",
		"Open event streams on this instance by kind (notifications, auction).", []string{"kind"}, nil)})
	m.deliveries.Store(deliveries)
}

// NotificationDelivered counts one delivery attempt's result.
func (m *Metrics) NotificationDelivered(channel, result string) {
	if d := m.deliveries.Load(); d != nil {
		d.WithLabelValues(channel, result).Inc()
	}
}

type backlogCollector struct {
	read      func(context.Context) (int, time.Duration, error)
	size, age *prometheus.Desc
}

func (c *backlogCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.size; ch <- c.age }

func (c *backlogCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), ReadinessTimeout)
	defer cancel()
	n, age, err := c.read(ctx)
	if err != nil {
		// No sample rather than a false zero while the store is down.
		return
	}
	ch <- prometheus.MustNewConstMetric(c.size, prometheus.GaugeValue, float64(n))
	ch <- prometheus.MustNewConstMetric(c.age, prometheus.GaugeValue, age.Seconds())
}

type streamsCollector struct {
	open func() (int, int)
	desc *prometheus.Desc
}

func (c *streamsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *streamsCollector) Collect(ch chan<- prometheus.Metric) {
	users, auctions := c.open()
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(users), "notifications")
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(auctions), "auction")
}
