package http

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secondbloom/marketplace/app"
	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/auction"
	"github.com/secondbloom/marketplace/ports"
)

func (s *Server) auctionRoutes(r fiber.Router) {
	r.Post("/auctions", s.authenticate, s.createAuction)
	r.Get("/auctions", s.listAuctions)
	g := r.Group("/auctions")
	g.Get("/:id", s.getAuction)
	g.Post("/:id/bids", s.authenticate, s.placeBid)
	g.Get("/:id/bids", s.optionalAuth, s.listBids)
	g.Post("/:id/cancel", s.authenticate, s.cancelAuction)
}

type auctionDTO struct {
	ID           string  `json:"id"`
	ProductID    string  `json:"productId"`
	SellerID     string  `json:"sellerId"`
	Status       string  `json:"status"`
	StartPrice   int64   `json:"startPrice"`
	CurrentPrice int64   `json:"currentPrice"`
	MinIncrement int64   `json:"minIncrement"`
	MinNextBid   int64   `json:"minNextBid"`
	BidCount     int     `json:"bidCount"`
	Currency     string  `json:"currency"`
	StartsAt     string  `json:"startsAt"`
	EndsAt       string  `json:"endsAt"`
	WinnerID     *string `json:"winnerId"`
	OrderID      *string `json:"orderId"`
	CreatedAt    string  `json:"createdAt"`
	UpdatedAt    string  `json:"updatedAt"`
}

func toAuctionDTO(a *auction.Auction) auctionDTO {
	return auctionDTO{ID: a.ID(), ProductID: a.ProductID(), SellerID: a.SellerID(), Status: string(a.Status()),
		StartPrice: a.StartPrice(), CurrentPrice: a.CurrentPrice(), MinIncrement: a.MinIncrement(), MinNextBid: a.MinNextBid(),
		BidCount: a.BidCount(), Currency: a.Currency(), StartsAt: timestamp(a.StartsAt()), EndsAt: timestamp(a.EndsAt()),
		WinnerID: emptyToNil(a.WinnerID()), OrderID: emptyToNil(a.OrderID()), CreatedAt: timestamp(a.CreatedAt()),
		UpdatedAt: timestamp(a.UpdatedAt())}
}

type bidDTO struct {
	ID        string `json:"id"`
	AuctionID string `json:"auctionId"`
	Amount    int64  `json:"amount"`
	CreatedAt string `json:"createdAt"`
}

func toBidDTO(b auction.Bid) bidDTO {
	return bidDTO{ID: b.ID, AuctionID: b.AuctionID, Amount: b.Amount, CreatedAt: timestamp(b.CreatedAt)}
}

// publicBidDTO is a bid as anyone may see it: no bidder identity, only
// whether it is the caller's own.
type publicBidDTO struct {
	ID        string `json:"id"`
	Amount    int64  `json:"amount"`
	CreatedAt string `json:"createdAt"`
	IsMine    bool   `json:"isMine"`
}

func (s *Server) createAuction(c *fiber.Ctx) error {
	var (
		in     app.NewAuction
		endsAt string
	)
	if err := decode(c, required("productId", &in.ProductID), required("startPrice", &in.StartPrice),
		optional("minIncrement", &in.MinIncrement), required("endsAt", &endsAt)); err != nil {
		return err
	}
	var v domain.Validation
	if !domain.ValidID(in.ProductID) {
		v.Add("productId", "must be a UUID")
	}
	in.ProductID = strings.ToLower(in.ProductID)
	t, err := time.Parse(time.RFC3339Nano, endsAt)
	if err != nil {
		v.Add("endsAt", "must be an RFC 3339 timestamp")
	}
	in.EndsAt = t
	if err := v.Err(); err != nil {
		return err
	}
	p, _ := principal(c)
	a, err := s.core.Auctions.Create(c.UserContext(), p, in)
	if err != nil {
		return err
	}
	return respond(c, fiber.StatusCreated, toAuctionDTO(a))
}

func (s *Server) listAuctions(c *fiber.Ctx) error {
	q := newQuery(c)
	page := q.cursorPage()
	sort := q.sort(ports.Sort{Field: "endsAt"}, "endsAt")
	f := ports.AuctionFilter{ProductID: q.id("productId")}
	if raw, ok := q.str("status"); ok {
		f.Status = auction.Status(raw)
		if !f.Status.Valid() {
			q.v.Add("status", "must be ACTIVE, ENDED or CANCELLED")
		}
	}
	q.keyset(&page, "auctions", f, sort)
	if err := q.done(); err != nil {
		return err
	}
	list, err := s.core.Auctions.List(c.UserContext(), f, sort, page)
	if err != nil {
		return err
	}
	items := make([]auctionDTO, 0, len(list.Items))
	for _, a := range list.Items {
		items = append(items, toAuctionDTO(a))
	}
	return q.respondList(items, page, list.Listed)
}

func (s *Server) getAuction(c *fiber.Ctx) error {
	id, err := pathID(c, auction.ErrNotFound)
	if err != nil {
		return err
	}
	a, err := s.core.Auctions.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	return respond(c, fiber.StatusOK, toAuctionDTO(a))
}

func (s *Server) placeBid(c *fiber.Ctx) error {
	var amount int64
	if err := decode(c, required("amount", &amount)); err != nil {
		return err
	}
	id, err := pathID(c, auction.ErrNotFound)
	if err != nil {
		return err
	}
	p, _ := principal(c)
	key, has, err := idempotencyKey(c)
	if err != nil {
		return err
	}
	if !has {
		b, err := s.core.Auctions.PlaceBid(c.UserContext(), p, id, amount)
		if err != nil {
			return err
		}
		return respond(c, fiber.StatusCreated, toBidDTO(b))
	}
	resp, err := s.core.Auctions.PlaceBidIdempotent(c.UserContext(), p, id, amount, key,
		func(b auction.Bid, refused error) (app.Response, error) {
			return s.renderOutcome(c, refused, fiber.StatusCreated, func() any { return toBidDTO(b) })
		})
	if err != nil {
		return err
	}
	return sendStored(c, resp)
}

func (s *Server) listBids(c *fiber.Ctx) error {
	q := newQuery(c)
	page := q.cursorPage()
	if err := q.done(); err != nil {
		return err
	}
	id, err := pathID(c, auction.ErrNotFound)
	if err != nil {
		return err
	}
	q.keyset(&page, "bids", id)
	if err := q.v.Err(); err != nil {
		return err
	}
	list, err := s.core.Auctions.Bids(c.UserContext(), id, page)
	if err != nil {
		return err
	}
	me, signedIn := principal(c)
	items := make([]publicBidDTO, 0, len(list.Items))
	for _, b := range list.Items {
		items = append(items, publicBidDTO{ID: b.ID, Amount: b.Amount, CreatedAt: timestamp(b.CreatedAt),
			IsMine: signedIn && b.BidderID == me.UserID})
	}
	return q.respondList(items, page, list.Listed)
}

func (s *Server) cancelAuction(c *fiber.Ctx) error {
	if hasBody(c) {
		if err := decode(c); err != nil {
			return err
		}
	}
	id, err := pathID(c, auction.ErrNotFound)
	if err != nil {
		return err
	}
	p, _ := principal(c)
	a, err := s.core.Auctions.Cancel(c.UserContext(), p, id)
	if err != nil {
		return err
	}
	return respond(c, fiber.StatusOK, toAuctionDTO(a))
}
