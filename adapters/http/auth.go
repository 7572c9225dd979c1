package http

import (
	"github.com/gofiber/fiber/v2"

	"github.com/secondbloom/marketplace/app"
	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/auth"
	"github.com/secondbloom/marketplace/domain/i18n"
	"github.com/secondbloom/marketplace/domain/phone"
	"github.com/secondbloom/marketplace/domain/user"
)

func (s *Server) authRoutes(r fiber.Router) {
	g := r.Group("/auth")
	g.Post("/send-otp", s.limitOTPPerIP, s.sendOTP)
	g.Post("/verify-otp", s.limitOTPPerIP, s.verifyOTP)
	g.Post("/refresh", s.refresh)
	g.Post("/logout", s.authenticate, s.logout)
	g.Get("/me", s.authenticate, s.me)
	g.Patch("/me", s.authenticate, s.updateMe)
}

type userDTO struct {
	ID          string  `json:"id"`
	PhoneNumber string  `json:"phoneNumber"`
	Role        string  `json:"role"`
	Status      string  `json:"status"`
	FirstName   *string `json:"firstName"`
	LastName    *string `json:"lastName"`
	Language    string  `json:"language"`
	CreatedAt   string  `json:"createdAt"`
}

// toUserDTO renders u; a user who chose no language shows the default.
func toUserDTO(u *user.User, def i18n.Locale) userDTO {
	lang := u.Language()
	if !lang.Valid() {
		lang = def
	}
	return userDTO{ID: u.ID(), PhoneNumber: u.Phone().String(), Role: string(u.Role()), Status: string(u.Status()),
		FirstName: emptyToNil(u.FirstName()), LastName: emptyToNil(u.LastName()), Language: string(lang),
		CreatedAt: timestamp(u.CreatedAt())}
}

func emptyToNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

type tokensDTO struct {
	AccessToken      string  `json:"accessToken"`
	RefreshToken     string  `json:"refreshToken"`
	TokenType        string  `json:"tokenType"`
	ExpiresInSeconds int     `json:"expiresInSeconds"`
	User             userDTO `json:"user"`
}

func toTokensDTO(si app.SignIn, def i18n.Locale) tokensDTO {
	return tokensDTO{AccessToken: si.AccessToken, RefreshToken: string(si.RefreshToken), TokenType: "Bearer",
		ExpiresInSeconds: int(si.ExpiresIn.Seconds()), User: toUserDTO(si.User, def)}
}

// parsePhone validates a phone field, naming it in the error.
func parsePhone(name, raw string) (phone.Number, error) {
	p, err := phone.Parse(raw)
	if err != nil {
		return phone.Number{}, domain.Invalid(name, err.Error())
	}
	return p, nil
}

func (s *Server) sendOTP(c *fiber.Ctx) error {
	var raw string
	if err := decode(c, required("phoneNumber", &raw)); err != nil {
		return err
	}
	p, err := parsePhone("phoneNumber", raw)
	if err != nil {
		return err
	}
	sent, err := s.core.Auth.SendCode(c.UserContext(), p)
	if err != nil {
		return err
	}
	return respond(c, fiber.StatusCreated, fiber.Map{
		"message":           "verification code sent",
		"expiresInSeconds":  int(sent.ExpiresIn.Seconds()),
		"retryAfterSeconds": int(sent.RetryAfter.Seconds()),
	})
}

func (s *Server) verifyOTP(c *fiber.Ctx) error {
	var raw, code string
	if err := decode(c, required("phoneNumber", &raw), required("code", &code)); err != nil {
		return err
	}
	var v domain.Validation
	p, err := parsePhone("phoneNumber", raw)
	v.Merge("phoneNumber", err)
	if code == "" {
		v.Add("code", "is required")
	}
	if err := v.Err(); err != nil {
		return err
	}
	si, err := s.core.Auth.VerifyCode(c.UserContext(), p, code)
	if err != nil {
		return err
	}
	return respond(c, fiber.StatusCreated, toTokensDTO(si, s.opt.DefaultLocale))
}

func (s *Server) refresh(c *fiber.Ctx) error {
	var token string
	if err := decode(c, required("refreshToken", &token)); err != nil {
		return err
	}
	if token == "" {
		return domain.Invalid("refreshToken", "is required")
	}
	si, err := s.core.Auth.Refresh(c.UserContext(), auth.RefreshToken(token))
	if err != nil {
		return err
	}
	return respond(c, fiber.StatusOK, toTokensDTO(si, s.opt.DefaultLocale))
}

func (s *Server) logout(c *fiber.Ctx) error {
	p, _ := principal(c)
	if err := s.core.Auth.Logout(c.UserContext(), p); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) me(c *fiber.Ctx) error {
	p, _ := principal(c)
	u, err := s.core.Auth.Me(c.UserContext(), p)
	if err != nil {
		return err
	}
	return respond(c, fiber.StatusOK, toUserDTO(u, s.opt.DefaultLocale))
}

func (s *Server) updateMe(c *fiber.Ctx) error {
	var (
		ch   user.ProfileChange
		lang *string
	)
	if err := decode(c, nullable("firstName", &ch.FirstName), nullable("lastName", &ch.LastName),
		optional("language", &lang)); err != nil {
		return err
	}
	ch.ClearFirstName = ch.FirstName == nil && hasNullMember(c.Body(), "firstName")
	ch.ClearLastName = ch.LastName == nil && hasNullMember(c.Body(), "lastName")
	if lang != nil {
		l, err := i18n.ParseLocale(*lang)
		if err != nil {
			return err
		}
		ch.Language = &l
	}
	p, _ := principal(c)
	u, err := s.core.Auth.UpdateProfile(c.UserContext(), p, ch)
	if err != nil {
		return err
	}
	return respond(c, fiber.StatusOK, toUserDTO(u, s.opt.DefaultLocale))
}
