package product

import (
	"sort"
	"time"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/i18n"
	"github.com/secondbloom/marketplace/domain/media"
	"github.com/secondbloom/marketplace/domain/text"
	"github.com/secondbloom/marketplace/domain/user"
)

// Limits of images and moderation text.
const (
	MaxImages       = media.MaxImagesPerProduct
	MaxReasonLength = 500
)

// CanManage reports whether a may edit or archive the product: its seller
// and staff may.
func (p *Product) CanManage(a user.Actor) bool {
	return a.IsStaff() || (a.UserID != "" && a.UserID == p.sellerID)
}

// Approve publishes a PENDING product. It returns ErrForbidden unless a is
// staff and ErrInvalidState in any other status.
func (p *Product) Approve(a user.Actor, now time.Time) error {
	if !a.IsStaff() {
		return ErrForbidden
	}
	if p.status != StatusPending {
		return ErrInvalidState
	}
	p.status = StatusActive
	p.rejectionReason = ""
	p.updatedAt = now.UTC()
	return nil
}

// Reject refuses a PENDING product with a reason of 1..500 characters. It
// returns ErrForbidden unless a is staff, a validation error for a bad
// reason and ErrInvalidState in any other status.
func (p *Product) Reject(a user.Actor, reason string, now time.Time) error {
	if !a.IsStaff() {
		return ErrForbidden
	}
	reason, err := text.Clean(reason, true, 1, MaxReasonLength)
	if err != nil {
		var v domain.Validation
		v.Merge("reason", err)
		return v.Err()
	}
	if p.status != StatusPending {
		return ErrInvalidState
	}
	p.status = StatusRejected
	p.rejectionReason = reason
	p.updatedAt = now.UTC()
	return nil
}

// Change is a partial edit; nil fields stay as they are.
type Change struct {
	Title       i18n.Patch
	Description i18n.Patch
	Price       *int64
	Currency    *string
	Quantity    *int
	CategoryID  *string
	Images      *[]Image
	// ConditionID and SizeID replace the condition and size. CityID and
	// DistrictID replace the place; "" clears it.
	ConditionID *string
	SizeID      *string
	CityID      *string
	DistrictID  *string
}

// Empty reports whether c changes nothing.
func (c Change) Empty() bool {
	return c.Title == nil && c.Description == nil && c.Price == nil && c.Currency == nil && c.Quantity == nil &&
		c.CategoryID == nil && c.Images == nil && c.ConditionID == nil && c.SizeID == nil && c.CityID == nil &&
		c.DistrictID == nil
}

// ErrEmptyChange refuses an edit that names no field.
var ErrEmptyChange = domain.Invalid("body", "must change at least one field")

// Edit applies c on behalf of a. A seller's edit of an ACTIVE or REJECTED
// product sends it back to PENDING when moderated is true; staff edits keep
// the status. The slug stays as it was, so links keep working. Edit returns
// ErrForbidden unless a may manage the product, ErrInvalidState for an
// ARCHIVED product, and a validation error naming every bad field; the
// product is unchanged on failure.
func (p *Product) Edit(a user.Actor, c Change, moderated bool, now time.Time) error {
	if !p.CanManage(a) {
		return ErrForbidden
	}
	if p.status == StatusArchived {
		return ErrInvalidState
	}
	next := *p
	var v domain.Validation
	if c.Title != nil {
		t, err := p.title.Merge(c.Title, TitleRule)
		v.Merge("title", err)
		next.title = t
	}
	if c.Description != nil {
		d, err := p.description.Merge(c.Description, DescriptionRule)
		v.Merge("description", err)
		next.description = d
	}
	if c.Price != nil {
		next.price = *c.Price
		if next.price < 1 || next.price > maxPrice {
			v.Add("price", "must be an integer from 1 to 10^15 minor units")
		}
	}
	if c.Currency != nil {
		cur, err := parseCurrency(*c.Currency)
		v.Merge("currency", err)
		next.currency = cur
	}
	if c.Quantity != nil {
		next.quantity = *c.Quantity
		if next.quantity < 0 || next.quantity > MaxQuantity {
			v.Add("quantity", "must be an integer from 0 to 1000000")
		}
	}
	if c.CategoryID != nil {
		next.categoryID = *c.CategoryID
		if next.categoryID == "" {
			v.Add("categoryId", "is required")
		}
	}
	if c.Images != nil {
		imgs, err := ValidateImages(*c.Images)
		v.Merge("images", err)
		next.images = imgs
	}
	next.class = c.apply(p.class, &v)
	if err := v.Err(); err != nil {
		return err
	}
	if moderated && !a.IsStaff() && (p.status == StatusActive || p.status == StatusRejected) {
		next.status = StatusPending
		next.rejectionReason = ""
	}
	next.updatedAt = now.UTC()
	*p = next
	return nil
}

// Archive hides the product from everyone but its seller and staff (the
// API's DELETE). Archiving an archived product changes nothing. It returns
// ErrForbidden unless a may manage the product. Whether an open order or
// auction still needs the product is the caller's question, since the
// product does not know about them.
func (p *Product) Archive(a user.Actor, now time.Time) error {
	if !p.CanManage(a) {
		return ErrForbidden
	}
	if p.status == StatusArchived {
		return nil
	}
	p.status = StatusArchived
	p.updatedAt = now.UTC()
	return nil
}

// ValidateImages checks a product's photos and returns them ordered by
// position: at most media.MaxImagesPerProduct, each naming a media id once,
// positions distinct integers from 0 to 9. It returns a validation error
// naming the first bad image. Whether the caller may use each media is the
// caller's question.
func ValidateImages(imgs []Image) ([]Image, error) {
	if len(imgs) > media.MaxImagesPerProduct {
		return nil, domain.Invalid("images", "must hold at most 10 images")
	}
	seen := map[int]bool{}
	ids := map[string]bool{}
	out := append([]Image(nil), imgs...)
	for _, im := range out {
		if !domain.ValidID(im.MediaID) {
			return nil, domain.Invalid("images", "each image needs a mediaId that is a UUID")
		}
		if ids[im.MediaID] {
			return nil, domain.Invalid("images", "a mediaId may appear once per product")
		}
		ids[im.MediaID] = true
		if im.Position < 0 || im.Position >= media.MaxImagesPerProduct {
			return nil, domain.Invalid("images", "each position must be an integer from 0 to 9")
		}
		if seen[im.Position] {
			return nil, domain.Invalid("images", "positions must be distinct")
		}
		seen[im.Position] = true
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Position < out[j].Position })
	return out, nil
}

// MediaIDs returns the ids of the media the product shows, in position
// order.
func (p *Product) MediaIDs() []string {
	out := make([]string, 0, len(p.images))
	for _, im := range p.images {
		out = append(out, im.MediaID)
	}
	return out
}

// apply returns class with c's reference ids applied, recording bad ones
// in v. Condition and size cannot be cleared; a district needs a city.
func (c Change) apply(class Classification, v *domain.Validation) Classification {
	if c.ConditionID != nil {
		class.ConditionID = *c.ConditionID
		if class.ConditionID == "" {
			v.Add("conditionId", "must not be empty")
		}
	}
	if c.SizeID != nil {
		class.SizeID = *c.SizeID
		if class.SizeID == "" {
			v.Add("sizeId", "must not be empty")
		}
	}
	if c.CityID != nil {
		class.CityID = *c.CityID
	}
	if c.DistrictID != nil {
		class.DistrictID = *c.DistrictID
	}
	checkPlace(v, class)
	return class
}

// Description returns the localized description.
func (p *Product) Description() i18n.Localized { return p.description }

// RejectionReason returns why moderation refused the product, or "".
func (p *Product) RejectionReason() string { return p.rejectionReason }

// Images returns a copy of the pictures, ordered by position.
func (p *Product) Images() []Image { return append([]Image(nil), p.images...) }

// CreatedAt returns when the product was listed.
func (p *Product) CreatedAt() time.Time { return p.createdAt }

// UpdatedAt returns when the product last changed.
func (p *Product) UpdatedAt() time.Time { return p.updatedAt }
