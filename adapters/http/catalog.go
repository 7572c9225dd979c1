package http

import (
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/text/unicode/norm"

	"github.com/secondbloom/marketplace/app"
	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/category"
	"github.com/secondbloom/marketplace/domain/i18n"
	"github.com/secondbloom/marketplace/domain/money"
	"github.com/secondbloom/marketplace/domain/product"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/ports"
)

func (s *Server) catalogRoutes(r fiber.Router) {
	r.Post("/categories", s.authenticate, s.createCategory)
	r.Get("/categories", s.cachedList(listCategories, pageDefaults, nil), s.listCategories)
	r.Get("/categories/:id", s.optionalAuth, s.getCategory)
	r.Patch("/categories/:id", s.authenticate, s.updateCategory)
	r.Delete("/categories/:id", s.authenticate, s.deleteCategory)

	r.Post("/products", s.authenticate, s.createProduct)
	r.Get("/products", s.optionalAuth, s.cachedList(listProducts, productDefaults, privateProductList), s.listProducts)
	r.Get("/products/slug/:slug", s.optionalAuth, s.getProductBySlug)
	r.Get("/products/:id", s.optionalAuth, s.getProduct)
	r.Patch("/products/:id", s.authenticate, s.updateProduct)
	r.Delete("/products/:id", s.authenticate, s.archiveProduct)
	r.Post("/products/:id/approve", s.authenticate, s.approveProduct)
	r.Post("/products/:id/reject", s.authenticate, s.rejectProduct)
}

type categoryDTO struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	Translations nameTexts `json:"translations"`
	Slug         string    `json:"slug"`
	ParentID     *string   `json:"parentId"`
	Position     int       `json:"position"`
	IsActive     bool      `json:"isActive"`
	CreatedAt    string    `json:"createdAt"`
	UpdatedAt    string    `json:"updatedAt"`
}

// nameTexts is the translations object of categories and reference items.
type nameTexts struct {
	Name textsDTO `json:"name"`
}

func toCategoryDTO(c *category.Category, loc i18n.Locale) categoryDTO {
	return categoryDTO{ID: c.ID(), Name: c.Name().In(loc), Translations: nameTexts{translations(c.Name())}, Slug: c.Slug(), ParentID: emptyToNil(c.ParentID()), Position: c.Position(),
		IsActive: c.Active(), CreatedAt: timestamp(c.CreatedAt()), UpdatedAt: timestamp(c.UpdatedAt())}
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
	ConditionID     *string    `json:"conditionId"`
	SizeID          *string    `json:"sizeId"`
	CityID          *string    `json:"cityId"`
	DistrictID      *string    `json:"districtId"`
	SellerID        string     `json:"sellerId"`
	Status          string     `json:"status"`
	RejectionReason *string    `json:"rejectionReason"`
	Images          []imageDTO `json:"images"`
	Translations    struct {
		Title       textsDTO `json:"title"`
		Description textsDTO `json:"description"`
	} `json:"translations"`
	CreatedAt string `json:"createdAt"`
	UpdatedAt string `json:"updatedAt"`
}

// toProductDTO renders p in loc; the cache keeps one entry per product and
// the locale is applied only here.
func (s *Server) toProductDTO(p *product.Product, loc i18n.Locale) productDTO {
	images := s.toImageDTOs(p.Images())
	var reason *string
	if p.Status() == product.StatusRejected {
		r := p.RejectionReason()
		reason = &r
	}
	class := p.Class()
	out := productDTO{ID: p.ID(), Slug: p.Slug(), Title: p.Title().In(loc), Description: p.Description().In(loc), Price: p.Price(),
		Currency: p.Currency(), Quantity: p.Quantity(), CategoryID: p.CategoryID(), ConditionID: emptyToNil(class.ConditionID),
		SizeID: emptyToNil(class.SizeID), CityID: emptyToNil(class.CityID), DistrictID: emptyToNil(class.DistrictID),
		SellerID: p.SellerID(), Status: string(p.Status()), RejectionReason: reason, Images: images,
		CreatedAt: timestamp(p.CreatedAt()), UpdatedAt: timestamp(p.UpdatedAt())}
	out.Translations.Title = translations(p.Title())
	out.Translations.Description = translations(p.Description())
	return out
}

// viewer returns the caller, or the zero user.Actor for anonymous requests.
func viewer(c *fiber.Ctx) user.Actor {
	p, _ := principal(c)
	return p
}

func (s *Server) createCategory(c *fiber.Ctx) error {
	var (
		name     localizedJSON
		parentID *string
		position *int
	)
	if err := decode(c, required("name", &name), nullable("parentId", &parentID), optional("position", &position)); err != nil {
		return err
	}
	var v domain.Validation
	text, err := s.text(c, &name, category.NameRule)
	v.Merge("name", err)
	nc := app.NewCategory{Name: text}
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
	return respond(c, fiber.StatusCreated, toCategoryDTO(cat, s.locale(c)))
}

func (s *Server) listCategories(c *fiber.Ctx) error {
	q := newQuery(c)
	p := q.cursorPage()
	if _, ok := q.str("sort"); ok {
		q.v.Add("sort", "categories are always ordered by position")
	}
	q.keyset(&p, "categories")
	if err := q.done(); err != nil {
		return err
	}
	cats, total, err := s.core.Catalog.ListCategories(c.UserContext(), p)
	if err != nil {
		return err
	}
	out := make([]categoryDTO, 0, len(cats))
	for _, cat := range cats {
		out = append(out, toCategoryDTO(cat, s.locale(c)))
	}
	return q.respondList(out, p, total)
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
	return respond(c, fiber.StatusOK, toCategoryDTO(cat, s.locale(c)))
}

func (s *Server) updateCategory(c *fiber.Ctx) error {
	id, err := pathID(c, category.ErrNotFound)
	if err != nil {
		return err
	}
	var (
		ch       category.Change
		name     *localizedJSON
		parentID *string
	)
	if err := decode(c, optional("name", &name), nullable("parentId", &parentID), optional("position", &ch.Position),
		optional("isActive", &ch.Active)); err != nil {
		return err
	}
	var v domain.Validation
	if name != nil {
		p, err := s.patch(c, "name", name)
		v.Merge("name", err)
		ch.Name = p
	}
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
	return respond(c, fiber.StatusOK, toCategoryDTO(cat, s.locale(c)))
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
		np                  app.NewProduct
		title               localizedJSON
		desc                *localizedJSON
		categoryID          string
		conditionID, sizeID string
		cityID, districtID  *string
		cur                 *string
		images              *[]imageRefDTO
	)
	if err := decode(c, required("title", &title), optional("description", &desc), required("price", &np.Price),
		optional("currency", &cur), optional("quantity", &np.Quantity), required("categoryId", &categoryID),
		required("conditionId", &conditionID), required("sizeId", &sizeID), nullable("cityId", &cityID),
		nullable("districtId", &districtID), optional("images", &images)); err != nil {
		return err
	}
	var v domain.Validation
	np.CategoryID = bodyID(&v, "categoryId", categoryID)
	if images != nil {
		np.Images = fromImageRefs(&v, *images)
	}
	np.Class.ConditionID = bodyID(&v, "conditionId", conditionID)
	np.Class.SizeID = bodyID(&v, "sizeId", sizeID)
	if cityID != nil {
		np.Class.CityID = bodyID(&v, "cityId", *cityID)
	}
	if districtID != nil {
		np.Class.DistrictID = bodyID(&v, "districtId", *districtID)
	}
	t, err := s.text(c, &title, product.TitleRule)
	v.Merge("title", err)
	np.Title = t
	if desc != nil {
		d, err := s.text(c, desc, product.DescriptionRule)
		v.Merge("description", err)
		np.Description = d
	}
	if err := v.Err(); err != nil {
		return err
	}
	if cur != nil {
		np.Currency = *cur
	}
	p, err := s.core.Catalog.CreateProduct(c.UserContext(), viewer(c), np)
	if err != nil {
		return err
	}
	return respond(c, fiber.StatusCreated, s.toProductDTO(p, s.locale(c)))
}

func (s *Server) listProducts(c *fiber.Ctx) error {
	q := newQuery(c)
	p := q.cursorPage()
	var (
		f       ports.ProductFilter
		noWords bool
	)
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
	for name, dst := range map[string]*string{"conditionId": &f.Class.ConditionID, "sizeId": &f.Class.SizeID,
		"cityId": &f.Class.CityID, "districtId": &f.Class.DistrictID} {
		if raw, ok := q.str(name); ok {
			*dst = bodyID(&q.v, name, raw)
		}
	}
	if raw, ok := q.str("q"); ok {
		if !utf8.ValidString(raw) || utf8.RuneCountInString(strings.TrimSpace(raw)) > maxQueryLength {
			q.v.Add("q", "must be valid text of at most 200 characters")
		}
		f.Query = i18n.SearchWords(norm.NFC.String(raw))
		if len(f.Query) > maxQueryWords {
			q.v.Add("q", "must have at most 10 words")
		}
		// Text with no word in it ("%", "--") can match nothing.
		noWords = len(f.Query) == 0 && strings.TrimSpace(raw) != ""
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
	q.keyset(&p, "products", normalProductFilter(f), sort)
	if err := q.done(); err != nil {
		return err
	}
	if noWords {
		return q.respondList([]productDTO{}, p, ports.Listed{})
	}
	ps, total, err := s.core.Catalog.ListProducts(c.UserContext(), viewer(c), f, sort, p)
	if err != nil {
		return err
	}
	out := make([]productDTO, 0, len(ps))
	for _, pr := range ps {
		out = append(out, s.toProductDTO(pr, s.locale(c)))
	}
	return q.respondList(out, p, total)
}

// normalProductFilter is f as a cursor's hash sees it: the statuses in one
// order, so that ?status=A,B and ?status=B,A share their cursors.
func normalProductFilter(f ports.ProductFilter) ports.ProductFilter {
	f.Statuses = slices.Clone(f.Statuses)
	slices.Sort(f.Statuses)
	f.Statuses = slices.Compact(f.Statuses)
	return f
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
	return s.respondProduct(c, p, s.locale(c))
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
	return respond(c, fiber.StatusOK, s.toProductDTO(p, s.locale(c)))
}

func (s *Server) updateProduct(c *fiber.Ctx) error {
	id, err := pathID(c, product.ErrNotFound)
	if err != nil {
		return err
	}
	var (
		ch                  product.Change
		title, desc         *localizedJSON
		categoryID          *string
		conditionID, sizeID *string
		cityID, districtID  *string
		images              *[]imageRefDTO
	)
	if err := decode(c, optional("title", &title), optional("description", &desc), optional("price", &ch.Price),
		optional("currency", &ch.Currency), optional("quantity", &ch.Quantity), optional("categoryId", &categoryID),
		optional("conditionId", &conditionID), optional("sizeId", &sizeID), nullable("cityId", &cityID),
		nullable("districtId", &districtID), optional("images", &images)); err != nil {
		return err
	}
	var v domain.Validation
	if title != nil {
		p, err := s.patch(c, "title", title)
		v.Merge("title", err)
		ch.Title = p
	}
	if desc != nil {
		p, err := s.patch(c, "description", desc)
		v.Merge("description", err)
		ch.Description = p
	}
	for _, ref := range []struct {
		name string
		raw  *string
		dst  **string
	}{{"conditionId", conditionID, &ch.ConditionID}, {"sizeId", sizeID, &ch.SizeID}, {"cityId", cityID, &ch.CityID},
		{"districtId", districtID, &ch.DistrictID}} {
		switch {
		case ref.raw != nil:
			id := bodyID(&v, ref.name, *ref.raw)
			*ref.dst = &id
		case hasNullMember(c.Body(), ref.name):
			none := ""
			*ref.dst = &none
		}
	}
	if categoryID != nil {
		cid := bodyID(&v, "categoryId", *categoryID)
		ch.CategoryID = &cid
	}
	if images != nil {
		imgs := fromImageRefs(&v, *images)
		ch.Images = &imgs
	}
	if err := v.Err(); err != nil {
		return err
	}
	p, err := s.core.Catalog.UpdateProduct(c.UserContext(), viewer(c), id, ch)
	if err != nil {
		return err
	}
	return respond(c, fiber.StatusOK, s.toProductDTO(p, s.locale(c)))
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
	return respond(c, fiber.StatusOK, s.toProductDTO(p, s.locale(c)))
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
	return respond(c, fiber.StatusOK, s.toProductDTO(p, s.locale(c)))
}
