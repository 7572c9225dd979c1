package http

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/secondbloom/marketplace/app"
	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/i18n"
	"github.com/secondbloom/marketplace/domain/reference"
)

// referenceRoutes serves the reference lists of API.md section 10.
func (s *Server) referenceRoutes(r fiber.Router) {
	cached := s.cachedList(listReference, pageDefaults, nil)
	for path, kind := range map[string]reference.Kind{
		"/conditions": reference.Conditions, "/sizes": reference.Sizes, "/cities": reference.Cities,
		"/cities/:cityId/districts": reference.Districts,
	} {
		h := referenceHandlers{s: s, kind: kind}
		r.Get(path, cached, h.list)
		r.Post(path, s.authenticate, h.create)
		r.Get(path+"/:id", h.get)
		r.Patch(path+"/:id", s.authenticate, h.update)
		r.Delete(path+"/:id", s.authenticate, h.delete)
	}
}

type referenceDTO struct {
	ID           string    `json:"id"`
	CityID       *string   `json:"cityId,omitempty"`
	Code         string    `json:"code"`
	Name         string    `json:"name"`
	Position     int       `json:"position"`
	Translations nameTexts `json:"translations"`
}

func toReferenceDTO(it *reference.Item, loc i18n.Locale) referenceDTO {
	return referenceDTO{ID: it.ID(), CityID: emptyToNil(it.CityID()), Code: it.Code(), Name: it.Name().In(loc),
		Position: it.Position(), Translations: nameTexts{translations(it.Name())}}
}

// referenceHandlers serves one list.
type referenceHandlers struct {
	s    *Server
	kind reference.Kind
}

// city returns the city of a district route ("" on other lists); a city id
// that is not a UUID is a 404 like any path id.
func (h referenceHandlers) city(c *fiber.Ctx) (string, error) {
	if h.kind != reference.Districts {
		return "", nil
	}
	id := c.Params("cityId")
	if !domain.ValidID(id) {
		return "", reference.ErrNotFound
	}
	return strings.ToLower(id), nil
}

func (h referenceHandlers) list(c *fiber.Ctx) error {
	cityID, err := h.city(c)
	if err != nil {
		return err
	}
	q := newQuery(c)
	p := q.cursorPage()
	if _, ok := q.str("sort"); ok {
		q.v.Add("sort", "reference lists are always ordered by position")
	}
	q.keyset(&p, "reference/"+string(h.kind), cityID)
	if err := q.done(); err != nil {
		return err
	}
	items, l, err := h.s.core.Reference.List(c.UserContext(), h.kind, cityID, p)
	if err != nil {
		return err
	}
	out := make([]referenceDTO, 0, len(items))
	for _, it := range items {
		out = append(out, toReferenceDTO(it, h.s.locale(c)))
	}
	return q.respondList(out, p, l)
}

func (h referenceHandlers) get(c *fiber.Ctx) error {
	cityID, err := h.city(c)
	if err != nil {
		return err
	}
	id, err := pathID(c, reference.ErrNotFound)
	if err != nil {
		return err
	}
	it, err := h.s.core.Reference.Get(c.UserContext(), h.kind, cityID, id)
	if err != nil {
		return err
	}
	return respond(c, fiber.StatusOK, toReferenceDTO(it, h.s.locale(c)))
}

func (h referenceHandlers) create(c *fiber.Ctx) error {
	cityID, err := h.city(c)
	if err != nil {
		return err
	}
	var (
		n    = app.NewItem{CityID: cityID}
		name localizedJSON
	)
	if err := decode(c, required("code", &n.Code), required("name", &name), optional("position", &n.Position)); err != nil {
		return err
	}
	if n.Name, err = h.s.text(c, &name, reference.NameRule); err != nil {
		return err
	}
	it, err := h.s.core.Reference.Create(c.UserContext(), viewer(c), h.kind, n)
	if err != nil {
		return err
	}
	return respond(c, fiber.StatusCreated, toReferenceDTO(it, h.s.locale(c)))
}

func (h referenceHandlers) update(c *fiber.Ctx) error {
	cityID, err := h.city(c)
	if err != nil {
		return err
	}
	id, err := pathID(c, reference.ErrNotFound)
	if err != nil {
		return err
	}
	var (
		ch   reference.Change
		name *localizedJSON
	)
	if err := decode(c, optional("code", &ch.Code), optional("name", &name), optional("position", &ch.Position)); err != nil {
		return err
	}
	if name != nil {
		if ch.Name, err = h.s.patch(c, "name", name); err != nil {
			return err
		}
	}
	if ch.Empty() {
		return domain.Invalid("body", "must change at least one field")
	}
	it, err := h.s.core.Reference.Update(c.UserContext(), viewer(c), h.kind, cityID, id, ch)
	if err != nil {
		return err
	}
	return respond(c, fiber.StatusOK, toReferenceDTO(it, h.s.locale(c)))
}

func (h referenceHandlers) delete(c *fiber.Ctx) error {
	cityID, err := h.city(c)
	if err != nil {
		return err
	}
	id, err := pathID(c, reference.ErrNotFound)
	if err != nil {
		return err
	}
	if err := h.s.core.Reference.Delete(c.UserContext(), viewer(c), h.kind, cityID, id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
