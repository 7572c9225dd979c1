-- The checkout takes stock with one conditional UPDATE (productRepo.Reserve)
-- instead of lock, read and write. Its WHERE asks whether the product is in
-- an open auction through this function rather than a plain NOT EXISTS:
-- a VOLATILE function takes a fresh snapshot for each query it runs, so
-- when the UPDATE waited for the row lock of a transaction that opened an
-- auction (opening one always writes the product row) and rechecks the
-- row, it sees that auction. A NOT EXISTS would be judged on the
-- statement's older snapshot and let the order through.
CREATE FUNCTION product_in_open_auction(p uuid) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM auctions WHERE product_id = p AND status = 'ACTIVE');
END $$;
