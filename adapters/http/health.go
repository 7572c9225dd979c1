package http

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secondbloom/marketplace/domain"
)

type healthDTO struct {
	Status        string `json:"status"`
	Version       string `json:"version"`
	UptimeSeconds int64  `json:"uptimeSeconds"`
}

type readinessDTO struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

// readinessRoute is the readiness probe's route template.
const readinessRoute = "/api/v1/health/readiness"

func (s *Server) healthRoutes(r fiber.Router) {
	r.Get("/health", s.health)
	r.Get("/health/liveness", s.health)
	r.Get("/health/readiness", s.readiness)
}

// health never touches the database: it answers whether the process runs.
func (s *Server) health(c *fiber.Ctx) error {
	return respond(c, fiber.StatusOK, healthDTO{Status: "ok", Version: s.opt.Version, UptimeSeconds: int64(time.Since(s.started).Seconds())})
}

// readiness answers whether the server should get traffic: not while it
// drains, not while the database is unreachable.
func (s *Server) readiness(c *fiber.Ctx) error {
	if s.draining.Load() {
		return domain.ErrUnavailable.WithDetails(domain.Detail{Field: "server", Message: "draining for shutdown"})
	}
	if err := s.core.Health.Ready(c.UserContext()); err != nil {
		c.Locals(localsCause, err)
		return domain.ErrUnavailable.WithDetails(domain.Detail{Field: "database", Message: "down"})
	}
	return respond(c, fiber.StatusOK, readinessDTO{Status: "ready", Checks: map[string]string{"database": "up"}})
}
