package http

import (
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/secondbloom/marketplace/app"
	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/category"
	"github.com/secondbloom/marketplace/domain/money"
	"github.com/secondbloom/marketplace/domain/product"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/ports"
)

func (s *Server) catalogRoutes(r fiber.Router) {
	r.Post("/categories", s.authenticate, s.createCategory)
	r.Get("/categories", s.listCategories)
	r.Get("/categories/:id", s.optionalAuth, s.getCategory)
	r.Patch("/categories/:id", s.authenticate, s.updateCategory)
	r.Delete("/categories/:id", s.authenticate, s.deleteCategory)

	r.Post("/products", s.authenticate, s.createProduct)
	r.Get("/products", s.optionalAuth, s.listProducts)
	r.Get("/products/slug/:slug", s.optionalAuth, s.getProductBySlug)
	r.Get("/products/:id", s.optionalAuth, s.getProduct)
	r.Patch("/products/:id", s.authenticate, s.updateProduct)
	r.Delete("/products/:id", s.authenticate, s.archiveProduct)
	r.Post("/products/:id/approve", s.authenticate, s.approveProduct)
	r.Post("/products/:id/reject", s.authenticate, s.rejectProduct)
}

type categoryDTO struct {
	ID        string  `json:"id"`
	Name      string  `json:"name"`
	Slug      string  `json:"slug"`
	ParentID  *string `json:"parentId"`
	Position  int     `json:"position"`
	IsActive  bool    `json:"isActive"`
	CreatedAt string  `json:"createdAt"`
	UpdatedAt string  `json:"updatedAt"`
}

func toCategoryDTO(c *category.Category) categoryDTO {
	return categoryDTO{ID: c.ID(), Name: c.Name(), Slug: c.Slug(), ParentID: emptyToNil(c.ParentID()), Position: c.Position(),
		IsActive: c.Active(), CreatedAt: timestamp(c.CreatedAt()), UpdatedAt: timestamp(c.UpdatedAt())}
}

type imageDTO struct {
	URL      string `json:"url"`
	Position int    `json:"position"`
}

type productDTO struct {
	ID              string     `json:"id"`
	Slug            string     `json:"slug"`
	Title           string     `json:"title"`
	Description     string     `json:"description"`
	Price           int64      `json:"price"`
	Currency        string     `json:"currency"`
	Quantity        int        `json:"quantity"`
	CategoryID      string     `json:"categoryId"`
	SellerID        string     `json:"sellerId"`
	Status          string     `json:"status"`
	RejectionReason *string    `json:"rejectionReason"`
	Images          []imageDTO `json:"images"`
	CreatedAt       string     `json:"createdAt"`
	UpdatedAt       string     `json:"updatedAt"`
}

func toProductDTO(p *product.Product) productDTO {
	images := make([]imageDTO, 0, len(p.Images()))
	for _, im := range p.Images() {
		images = append(images, imageDTO{URL: im.URL, Position: im.Position})
	}
	var reason *string
	if p.Status() == product.StatusRejected {
		r := p.RejectionReason()
		reason = &r
	}
	return productDTO{ID: p.ID(), Slug: p.Slug(), Title: p.Title(), Description: p.Description(), Price: p.Price(),
		Currency: p.Currency(), Quantity: p.Quantity(), CategoryID: p.CategoryID(), SellerID: p.SellerID(),
		Status: string(p.Status()), RejectionReason: reason, Images: images,
		CreatedAt: timestamp(p.CreatedAt()), UpdatedAt: timestamp(p.UpdatedAt())}
}

func fromImageDTOs(in []imageDTO) []product.Image {
	out := make([]product.Image, 0, len(in))
	for _, im := range in {
		out = append(out, product.Image{URL: im.URL, Position: im.Position})
	}
	return out
}

// viewer returns the caller, or the zero user.Actor for anonymous requests.
func viewer(c *fiber.Ctx) user.Actor {
	p, _ := principal(c)
	return p
}

func (s *Server) createCategory(c *fiber.Ctx) error {
	var (
		name     string
		parentID *string
		position *int
	)
	if err := decode(c, required("name", &name), nullable("parentId", &parentID), optional("position", &position)); err != nil {
		return err
	}
	var v domain.Validation
	nc := app.NewCategory{Name: name}
	if parentID != nil {
		nc.ParentID = bodyID(&v, "parentId", *parentID)
	}
	if position != nil {
		nc.Position = *position
	}
	if err := v.Err(); err != nil {
		return err
	}
	cat, err := s.core.Catalog.CreateCategory(c.UserContext(), viewer(c), nc)
	if err != nil {
		return err
	}
	return respond(c, fiber.StatusCreated, toCategoryDTO(cat))
}

func (s *Server) listCategories(c *fiber.Ctx) error {
	q := newQuery(c)
	p := q.page()
	if _, ok := q.str("sort"); ok {
		q.v.Add("sort", "categories are always ordered by position")
	}
	if err := q.done(); err != nil {
		return err
	}
	cats, total, err := s.core.Catalog.ListCategories(c.UserContext(), p)
	if err != nil {
		return err
	}
	out := make([]categoryDTO, 0, len(cats))
	for _, cat := range cats {
		out = append(out, toCategoryDTO(cat))
	}
	return respondList(c, out, p.Number, p.Limit, total)
}

func (s *Server) getCategory(c *fiber.Ctx) error {
	id, err := pathID(c, category.ErrNotFound)
	if err != nil {
		return err
	}
	cat, err := s.core.Catalog.GetCategory(c.UserContext(), viewer(c), id)
	if err != nil {
		return err
	}
	return respond(c, fiber.StatusOK, toCategoryDTO(cat))
}

func (s *Server) updateCategory(c *fiber.Ctx) error {
	id, err := pathID(c, category.ErrNotFound)
	if err != nil {
		return err
	}
	var (
		ch       category.Change
		parentID *string
	)
	if err := decode(c, optional("name", &ch.Name), nullable("parentId", &parentID), optional("position", &ch.Position),
		optional("isActive", &ch.Active)); err != nil {
		return err
	}
	var v domain.Validation
	switch {
	case parentID != nil:
		p := bodyID(&v, "parentId", *parentID)
		ch.ParentID = &p
	case hasNullMember(c.Body(), "parentId"):
		root := ""
		ch.ParentID = &root
	}
	if err := v.Err(); err != nil {
		return err
	}
	cat, err := s.core.Catalog.UpdateCategory(c.UserContext(), viewer(c), id, ch)
	if err != nil {
		return err
	}
	return respond(c, fiber.StatusOK, toCategoryDTO(cat))
}

// hasNullMember reports whether the JSON object body has name: null. The
// body has already passed decode, so it is one well-formed object.
func hasNullMember(body []byte, name string) bool {
	members, err := splitObject(body)
	if err != nil {
		return false
	}
	for _, m := range members {
		if m.name == name && string(m.value) == "null" {
			return true
		}
	}
	return false
}

func (s *Server) deleteCategory(c *fiber.Ctx) error {
	id, err := pathID(c, category.ErrNotFound)
	if err != nil {
		return err
	}
	if err := s.core.Catalog.DeleteCategory(c.UserContext(), viewer(c), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) createProduct(c *fiber.Ctx) error {
	var (
		np         app.NewProduct
		categoryID string
		desc, cur  *string
		images     *[]imageDTO
	)
	if err := decode(c, required("title", &np.Title), optional("description", &desc), required("price", &np.Price),
		optional("currency", &cur), optional("quantity", &np.Quantity), required("categoryId", &categoryID),
		optional("images", &images)); err != nil {
		return err
	}
	var v domain.Validation
	np.CategoryID = bodyID(&v, "categoryId", categoryID)
	if err := v.Err(); err != nil {
		return err
	}
	if desc != nil {
		np.Description = *desc
	}
	if cur != nil {
		np.Currency = *cur
	}
	if images != nil {
		np.Images = fromImageDTOs(*images)
	}
	p, err := s.core.Catalog.CreateProduct(c.UserContext(), viewer(c), np)
	if err != nil {
		return err
	}
	return respond(c, fiber.StatusCreated, toProductDTO(p))
}

func (s *Server) listProducts(c *fiber.Ctx) error {
	q := newQuery(c)
	p := q.page()
	var f ports.ProductFilter
	if raw, ok := q.str("categoryId"); ok {
		f.CategoryID = bodyID(&q.v, "categoryId", raw)
	}
	if raw, ok := q.str("sellerId"); ok {
		f.SellerID = bodyID(&q.v, "sellerId", raw)
	}
	if _, ok := q.str("minPrice"); ok {
		n := q.integer("minPrice", 0, 0, money.MaxAmount)
		f.MinPrice = &n
	}
	if _, ok := q.str("maxPrice"); ok {
		n := q.integer("maxPrice", money.MaxAmount, 0, money.MaxAmount)
		f.MaxPrice = &n
	}
	if raw, ok := q.str("q"); ok {
		f.Query = strings.Join(strings.Fields(raw), " ")
		if !utf8.ValidString(raw) || utf8.RuneCountInString(f.Query) > maxQueryLength {
			q.v.Add("q", "must be valid text of at most 200 characters")
		}
	}
	if raw, ok := q.str("status"); ok {
		for _, st := range strings.Split(raw, ",") {
			st := product.Status(strings.TrimSpace(st))
			if !st.Valid() {
				q.v.Add("status", "must be PENDING, ACTIVE, REJECTED or ARCHIVED, or a comma list of them")
				break
			}
			f.Statuses = append(f.Statuses, st)
		}
	}
	if raw, ok := q.str("inStock"); ok {
		switch raw {
		case "true":
			f.InStock = true
		case "false":
		default:
			q.v.Add("inStock", "must be true or false")
		}
	}
	sort := ports.Sort{Field: ports.SortCreatedAt, Desc: true}
	if raw, ok := q.str("sort"); ok {
		field, desc := strings.CutPrefix(raw, "-")
		if field != ports.SortCreatedAt && field != ports.SortPrice {
			q.v.Add("sort", "must be createdAt or price, optionally prefixed with -")
		}
		sort = ports.Sort{Field: field, Desc: desc}
	}
	if err := q.done(); err != nil {
		return err
	}
	ps, total, err := s.core.Catalog.ListProducts(c.UserContext(), viewer(c), f, sort, p)
	if err != nil {
		return err
	}
	out := make([]productDTO, 0, len(ps))
	for _, pr := range ps {
		out = append(out, toProductDTO(pr))
	}
	return respondList(c, out, p.Number, p.Limit, total)
}

func (s *Server) getProduct(c *fiber.Ctx) error {
	id, err := pathID(c, product.ErrNotFound)
	if err != nil {
		return err
	}
	p, err := s.core.Catalog.GetProduct(c.UserContext(), viewer(c), id)
	if err != nil {
		return err
	}
	return respond(c, fiber.StatusOK, toProductDTO(p))
}

func (s *Server) getProductBySlug(c *fiber.Ctx) error {
	sl := strings.Clone(c.Params("slug"))
	// Fiber leaves the path escaped; Cyrillic slugs arrive percent-encoded.
	if un, err := url.PathUnescape(sl); err == nil {
		sl = un
	}
	if sl == "" || len(sl) > 1024 || !utf8.ValidString(sl) {
		return product.ErrNotFound
	}
	p, err := s.core.Catalog.GetProductBySlug(c.UserContext(), viewer(c), sl)
	if err != nil {
		return err
	}
	return respond(c, fiber.StatusOK, toProductDTO(p))
}

func (s *Server) updateProduct(c *fiber.Ctx) error {
	id, err := pathID(c, product.ErrNotFound)
	if err != nil {
		return err
	}
	var (
		ch         product.Change
		categoryID *string
		images     *[]imageDTO
	)
	if err := decode(c, optional("title", &ch.Title), optional("description", &ch.Description), optional("price", &ch.Price),
		optional("currency", &ch.Currency), optional("quantity", &ch.Quantity), optional("categoryId", &categoryID),
		optional("images", &images)); err != nil {
		return err
	}
	var v domain.Validation
	if categoryID != nil {
		cid := bodyID(&v, "categoryId", *categoryID)
		ch.CategoryID = &cid
	}
	if images != nil {
		imgs := fromImageDTOs(*images)
		ch.Images = &imgs
	}
	if err := v.Err(); err != nil {
		return err
	}
	p, err := s.core.Catalog.UpdateProduct(c.UserContext(), viewer(c), id, ch)
	if err != nil {
		return err
	}
	return respond(c, fiber.StatusOK, toProductDTO(p))
}

func (s *Server) archiveProduct(c *fiber.Ctx) error {
	id, err := pathID(c, product.ErrNotFound)
	if err != nil {
		return err
	}
	if err := s.core.Catalog.ArchiveProduct(c.UserContext(), viewer(c), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) approveProduct(c *fiber.Ctx) error {
	id, err := pathID(c, product.ErrNotFound)
	if err != nil {
		return err
	}
	if hasBody(c) {
		if err := decode(c); err != nil {
			return err
		}
	}
	p, err := s.core.Catalog.ApproveProduct(c.UserContext(), viewer(c), id)
	if err != nil {
		return err
	}
	return respond(c, fiber.StatusOK, toProductDTO(p))
}

func (s *Server) rejectProduct(c *fiber.Ctx) error {
	id, err := pathID(c, product.ErrNotFound)
	if err != nil {
		return err
	}
	var reason string
	if err := decode(c, required("reason", &reason)); err != nil {
		return err
	}
	p, err := s.core.Catalog.RejectProduct(c.UserContext(), viewer(c), id, reason)
	if err != nil {
		return err
	}
	return respond(c, fiber.StatusOK, toProductDTO(p))
}
