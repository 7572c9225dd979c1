package ports

//go:generate go tool mockgen -source=metrics.go -destination=../mocks/metrics.go -package=mocks

// Metrics counts business events. Implementations must be cheap and never
// block; labels take only the bounded values given here.
type Metrics interface {
	// OTPSent counts a code accepted for delivery.
	OTPSent()
	// OTPVerifyFailed counts a sign-in attempt refused with INVALID_OTP.
	OTPVerifyFailed()
	// OrderCreated counts a placed order (direct or from an auction).
	OrderCreated()
	// OrderCancelled counts a cancelled order.
	OrderCancelled()
	// BidPlaced counts an accepted bid.
	BidPlaced()
	// AuctionClosed counts a closed auction, with or without a winner.
	AuctionClosed(withWinner bool)
}
