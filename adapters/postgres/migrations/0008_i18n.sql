-- Languages and reference data (API.md section 10).
--
-- Localized texts become JSONB objects {"uz"?, "ru"?, "en"?} in the row
-- itself, so reading a product costs no extra query. Texts written before
-- this migration had no language; they are kept under "uz", the first
-- locale of the fallback order, so every reader still sees them.

ALTER TABLE users ADD COLUMN language text CHECK (language IN ('uz', 'ru', 'en'));

ALTER TABLE categories DROP CONSTRAINT categories_name_check;
ALTER TABLE categories ALTER COLUMN name TYPE jsonb USING jsonb_build_object('uz', name);
ALTER TABLE categories ADD CONSTRAINT categories_name_localized
    CHECK (jsonb_typeof(name) = 'object' AND name <> '{}');

DROP INDEX products_title_trgm_idx;
DROP INDEX products_seller_title_live_idx;
ALTER TABLE products DROP CONSTRAINT products_title_check, DROP CONSTRAINT products_description_check;
ALTER TABLE products ALTER COLUMN title TYPE jsonb USING jsonb_build_object('uz', title);
ALTER TABLE products ALTER COLUMN description DROP DEFAULT;
ALTER TABLE products ALTER COLUMN description TYPE jsonb
    USING CASE WHEN description = '' THEN '{}'::jsonb ELSE jsonb_build_object('uz', description) END;
ALTER TABLE products ALTER COLUMN description SET DEFAULT '{}';
ALTER TABLE products
    ADD CONSTRAINT products_title_localized CHECK (jsonb_typeof(title) = 'object' AND title <> '{}'),
    ADD CONSTRAINT products_description_localized CHECK (jsonb_typeof(description) = 'object');

-- A seller has at most one live product per title in each locale
-- (case-insensitive): the duplicate-listing rule, per locale.
CREATE UNIQUE INDEX products_seller_title_uz_idx ON products (seller_id, lower(title ->> 'uz'))
    WHERE status <> 'ARCHIVED' AND title ? 'uz';
CREATE UNIQUE INDEX products_seller_title_ru_idx ON products (seller_id, lower(title ->> 'ru'))
    WHERE status <> 'ARCHIVED' AND title ? 'ru';
CREATE UNIQUE INDEX products_seller_title_en_idx ON products (seller_id, lower(title ->> 'en'))
    WHERE status <> 'ARCHIVED' AND title ? 'en';

-- Search (?q=) matches words and word prefixes of every locale of the title
-- and description. sb_search_fold lower-cases, strips Latin accents, maps
-- ё to е and drops apostrophes (o‘zbek, oʻzbek, o'zbek all become ozbek);
-- the two strings are i18n.FoldFrom and i18n.FoldTo, which the memory store
-- and the query side use, so both stores find the same products. The
-- 'simple' configuration neither stems nor drops stop words, which suits
-- three languages at once.
CREATE FUNCTION sb_search_fold(t text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN translate(lower(t), 'àáâãäåāăąçćčďđèéêëēėęěğìíîïīįıñńňòóôõöøōŕřśşšșţťțùúûüūůűýÿźżžё''’‘ʻʼ`´', 'aaaaaaaaacccddeeeeeeeegiiiiiiinnnooooooorrsssstttuuuuuuuyyzzzе');

CREATE FUNCTION sb_product_search(title jsonb, description jsonb) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN to_tsvector('simple'::regconfig, sb_search_fold(
        coalesce(title ->> 'uz', '') || ' ' || coalesce(title ->> 'ru', '') || ' ' || coalesce(title ->> 'en', '') || ' ' ||
        coalesce(description ->> 'uz', '') || ' ' || coalesce(description ->> 'ru', '') || ' ' || coalesce(description ->> 'en', '')));

ALTER TABLE products ADD COLUMN search tsvector GENERATED ALWAYS AS (sb_product_search(title, description)) STORED;
CREATE INDEX products_search_idx ON products USING gin (search);

-- Reference lists. Codes are unique per list, districts' per city.
CREATE TABLE conditions (
    id       uuid PRIMARY KEY,
    code     text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND char_length(code) <= 50),
    name     jsonb NOT NULL CHECK (jsonb_typeof(name) = 'object' AND name <> '{}'),
    position integer NOT NULL DEFAULT 0 CHECK (position BETWEEN 0 AND 1000000)
);
CREATE TABLE sizes (LIKE conditions INCLUDING ALL);
CREATE TABLE cities (LIKE conditions INCLUDING ALL);
CREATE TABLE districts (
    id       uuid PRIMARY KEY,
    city_id  uuid NOT NULL REFERENCES cities (id),
    code     text NOT NULL CHECK (code ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND char_length(code) <= 50),
    name     jsonb NOT NULL CHECK (jsonb_typeof(name) = 'object' AND name <> '{}'),
    position integer NOT NULL DEFAULT 0 CHECK (position BETWEEN 0 AND 1000000),
    UNIQUE (city_id, code),
    -- The target of products' (district_id, city_id) key.
    UNIQUE (id, city_id)
);

-- Products made before these lists existed have no condition or size; the
-- API requires them on create only. The foreign keys refuse an unknown id,
-- keep a district inside its product's city, and make deleting a used item
-- fail (RESTRICT), whatever the product's status.
ALTER TABLE products
    ADD COLUMN condition_id uuid CONSTRAINT products_condition_fk REFERENCES conditions (id),
    ADD COLUMN size_id uuid CONSTRAINT products_size_fk REFERENCES sizes (id),
    ADD COLUMN city_id uuid CONSTRAINT products_city_fk REFERENCES cities (id),
    ADD COLUMN district_id uuid,
    ADD CONSTRAINT products_district_fk FOREIGN KEY (district_id, city_id) REFERENCES districts (id, city_id),
    ADD CONSTRAINT products_district_needs_city CHECK (district_id IS NULL OR city_id IS NOT NULL);
-- A buyer's typical filter (condition, size, place, category) is one range
-- of this index. Other combinations use the single-column indexes below
-- (bitmap AND), which also serve deleting an item: it looks for products
-- of any status.
CREATE INDEX products_active_class_idx ON products (condition_id, size_id, city_id, category_id, created_at DESC)
    WHERE status = 'ACTIVE';
CREATE INDEX products_condition_idx ON products (condition_id);
CREATE INDEX products_size_idx ON products (size_id);
CREATE INDEX products_city_idx ON products (city_id);
CREATE INDEX products_district_idx ON products (district_id);

INSERT INTO conditions (id, code, name, position) VALUES
    ('01938000-0000-7000-8000-000000010001', 'freshest', '{"uz": "Eng yangi", "ru": "Самый свежий", "en": "Freshest"}', 1),
    ('01938000-0000-7000-8000-000000010002', 'good-condition', '{"uz": "Yaxshi holatda", "ru": "В хорошем состоянии", "en": "Good condition"}', 2),
    ('01938000-0000-7000-8000-000000010003', 'losing-freshness', '{"uz": "Yangiligini yo‘qotmoqda", "ru": "Теряет свежесть", "en": "Losing freshness"}', 3),
    ('01938000-0000-7000-8000-000000010004', 'slightly-wilted', '{"uz": "Biroz so‘lgan", "ru": "Слегка увядший", "en": "Slightly wilted"}', 4),
    ('01938000-0000-7000-8000-000000010005', 'noticeably-wilting', '{"uz": "Sezilarli so‘lmoqda", "ru": "Заметно вянет", "en": "Noticeably wilting"}', 5),
    ('01938000-0000-7000-8000-000000010006', 'wilted', '{"uz": "So‘lgan", "ru": "Увядший", "en": "Wilted"}', 6);
INSERT INTO sizes (id, code, name, position) VALUES
    ('01938000-0000-7000-8000-000000020001', 'small', '{"uz": "Kichik", "ru": "Маленький", "en": "Small"}', 1),
    ('01938000-0000-7000-8000-000000020002', 'medium', '{"uz": "O‘rtacha", "ru": "Средний", "en": "Medium"}', 2),
    ('01938000-0000-7000-8000-000000020003', 'voluminous', '{"uz": "Hajmli", "ru": "Объёмный", "en": "Voluminous"}', 3),
    ('01938000-0000-7000-8000-000000020004', 'large', '{"uz": "Katta", "ru": "Большой", "en": "Large"}', 4),
    ('01938000-0000-7000-8000-000000020005', 'huge', '{"uz": "Juda katta", "ru": "Огромный", "en": "Huge"}', 5);
INSERT INTO cities (id, code, name, position) VALUES
    ('01938000-0000-7000-8000-000000030001', 'tashkent-city', '{"uz": "Toshkent shahri", "ru": "Город Ташкент", "en": "Tashkent city"}', 1),
    ('01938000-0000-7000-8000-000000030002', 'tashkent-region', '{"uz": "Toshkent viloyati", "ru": "Ташкентская область", "en": "Tashkent Region"}', 2),
    ('01938000-0000-7000-8000-000000030003', 'samarkand', '{"uz": "Samarqand viloyati", "ru": "Самаркандская область", "en": "Samarkand Region"}', 3),
    ('01938000-0000-7000-8000-000000030004', 'bukhara', '{"uz": "Buxoro viloyati", "ru": "Бухарская область", "en": "Bukhara Region"}', 4),
    ('01938000-0000-7000-8000-000000030005', 'andijan', '{"uz": "Andijon viloyati", "ru": "Андижанская область", "en": "Andijan Region"}', 5),
    ('01938000-0000-7000-8000-000000030006', 'fergana', '{"uz": "Farg‘ona viloyati", "ru": "Ферганская область", "en": "Fergana Region"}', 6),
    ('01938000-0000-7000-8000-000000030007', 'namangan', '{"uz": "Namangan viloyati", "ru": "Наманганская область", "en": "Namangan Region"}', 7),
    ('01938000-0000-7000-8000-000000030008', 'kashkadarya', '{"uz": "Qashqadaryo viloyati", "ru": "Кашкадарьинская область", "en": "Kashkadarya Region"}', 8),
    ('01938000-0000-7000-8000-000000030009', 'surkhandarya', '{"uz": "Surxondaryo viloyati", "ru": "Сурхандарьинская область", "en": "Surkhandarya Region"}', 9),
    ('01938000-0000-7000-8000-00000003000a', 'jizzakh', '{"uz": "Jizzax viloyati", "ru": "Джизакская область", "en": "Jizzakh Region"}', 10),
    ('01938000-0000-7000-8000-00000003000b', 'syrdarya', '{"uz": "Sirdaryo viloyati", "ru": "Сырдарьинская область", "en": "Syrdarya Region"}', 11),
    ('01938000-0000-7000-8000-00000003000c', 'navoi', '{"uz": "Navoiy viloyati", "ru": "Навоийская область", "en": "Navoi Region"}', 12),
    ('01938000-0000-7000-8000-00000003000d', 'khorezm', '{"uz": "Xorazm viloyati", "ru": "Хорезмская область", "en": "Khorezm Region"}', 13),
    ('01938000-0000-7000-8000-00000003000e', 'karakalpakstan', '{"uz": "Qoraqalpog‘iston Respublikasi", "ru": "Республика Каракалпакстан", "en": "Republic of Karakalpakstan"}', 14);
INSERT INTO districts (id, city_id, code, name, position) VALUES
    ('01938000-0000-7000-8000-000000040001', '01938000-0000-7000-8000-000000030001', 'bektemir', '{"uz": "Bektemir tumani", "ru": "Бектемирский район", "en": "Bektemir district"}', 1),
    ('01938000-0000-7000-8000-000000040002', '01938000-0000-7000-8000-000000030001', 'chilanzar', '{"uz": "Chilonzor tumani", "ru": "Чиланзарский район", "en": "Chilanzar district"}', 2),
    ('01938000-0000-7000-8000-000000040003', '01938000-0000-7000-8000-000000030001', 'mirabad', '{"uz": "Mirobod tumani", "ru": "Мирабадский район", "en": "Mirabad district"}', 3),
    ('01938000-0000-7000-8000-000000040004', '01938000-0000-7000-8000-000000030001', 'mirzo-ulugbek', '{"uz": "Mirzo Ulug‘bek tumani", "ru": "Мирзо-Улугбекский район", "en": "Mirzo Ulugbek district"}', 4),
    ('01938000-0000-7000-8000-000000040005', '01938000-0000-7000-8000-000000030001', 'sergeli', '{"uz": "Sergeli tumani", "ru": "Сергелийский район", "en": "Sergeli district"}', 5),
    ('01938000-0000-7000-8000-000000040006', '01938000-0000-7000-8000-000000030001', 'shaykhantakhur', '{"uz": "Shayxontohur tumani", "ru": "Шайхантахурский район", "en": "Shaykhantakhur district"}', 6),
    ('01938000-0000-7000-8000-000000040007', '01938000-0000-7000-8000-000000030001', 'olmazor', '{"uz": "Olmazor tumani", "ru": "Алмазарский район", "en": "Olmazor district"}', 7),
    ('01938000-0000-7000-8000-000000040008', '01938000-0000-7000-8000-000000030001', 'uchtepa', '{"uz": "Uchtepa tumani", "ru": "Учтепинский район", "en": "Uchtepa district"}', 8),
    ('01938000-0000-7000-8000-000000040009', '01938000-0000-7000-8000-000000030001', 'yashnabad', '{"uz": "Yashnobod tumani", "ru": "Яшнабадский район", "en": "Yashnabad district"}', 9),
    ('01938000-0000-7000-8000-00000004000a', '01938000-0000-7000-8000-000000030001', 'yakkasaray', '{"uz": "Yakkasaroy tumani", "ru": "Яккасарайский район", "en": "Yakkasaray district"}', 10),
    ('01938000-0000-7000-8000-00000004000b', '01938000-0000-7000-8000-000000030001', 'yunusabad', '{"uz": "Yunusobod tumani", "ru": "Юнусабадский район", "en": "Yunusabad district"}', 11),
    ('01938000-0000-7000-8000-00000004000c', '01938000-0000-7000-8000-000000030001', 'yangihayot', '{"uz": "Yangihayot tumani", "ru": "Янгихаётский район", "en": "Yangihayot district"}', 12);
