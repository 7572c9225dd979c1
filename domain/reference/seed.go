package reference

import "github.com/secondbloom/marketplace/domain/i18n"

// TashkentCityID is the id of the seeded city whose districts are seeded.
const TashkentCityID = "01938000-0000-7000-8000-000000030001"

// Seed returns the items migration 0008 stores, with their fixed ids, in
// list order; the memory store starts with them too. A test of the
// Postgres adapter checks that both agree.
func Seed() []Fields {
	n := func(uz, ru, en string) i18n.Localized {
		return i18n.Rehydrate(map[i18n.Locale]string{i18n.Uzbek: uz, i18n.Russian: ru, i18n.English: en})
	}
	return []Fields{
		{ID: "01938000-0000-7000-8000-000000010001", Kind: Conditions, CityID: "", Code: "freshest", Name: n("Eng yangi", "Самый свежий", "Freshest"), Position: 1},
		{ID: "01938000-0000-7000-8000-000000010002", Kind: Conditions, CityID: "", Code: "good-condition", Name: n("Yaxshi holatda", "В хорошем состоянии", "Good condition"), Position: 2},
		{ID: "01938000-0000-7000-8000-000000010003", Kind: Conditions, CityID: "", Code: "losing-freshness", Name: n("Yangiligini yo‘qotmoqda", "Теряет свежесть", "Losing freshness"), Position: 3},
		{ID: "01938000-0000-7000-8000-000000010004", Kind: Conditions, CityID: "", Code: "slightly-wilted", Name: n("Biroz so‘lgan", "Слегка увядший", "Slightly wilted"), Position: 4},
		{ID: "01938000-0000-7000-8000-000000010005", Kind: Conditions, CityID: "", Code: "noticeably-wilting", Name: n("Sezilarli so‘lmoqda", "Заметно вянет", "Noticeably wilting"), Position: 5},
		{ID: "01938000-0000-7000-8000-000000010006", Kind: Conditions, CityID: "", Code: "wilted", Name: n("So‘lgan", "Увядший", "Wilted"), Position: 6},
		{ID: "01938000-0000-7000-8000-000000020001", Kind: Sizes, CityID: "", Code: "small", Name: n("Kichik", "Маленький", "Small"), Position: 1},
		{ID: "01938000-0000-7000-8000-000000020002", Kind: Sizes, CityID: "", Code: "medium", Name: n("O‘rtacha", "Средний", "Medium"), Position: 2},
		{ID: "01938000-0000-7000-8000-000000020003", Kind: Sizes, CityID: "", Code: "voluminous", Name: n("Hajmli", "Объёмный", "Voluminous"), Position: 3},
		{ID: "01938000-0000-7000-8000-000000020004", Kind: Sizes, CityID: "", Code: "large", Name: n("Katta", "Большой", "Large"), Position: 4},
		{ID: "01938000-0000-7000-8000-000000020005", Kind: Sizes, CityID: "", Code: "huge", Name: n("Juda katta", "Огромный", "Huge"), Position: 5},
		{ID: "01938000-0000-7000-8000-000000030001", Kind: Cities, CityID: "", Code: "tashkent-city", Name: n("Toshkent shahri", "Город Ташкент", "Tashkent city"), Position: 1},
		{ID: "01938000-0000-7000-8000-000000030002", Kind: Cities, CityID: "", Code: "tashkent-region", Name: n("Toshkent viloyati", "Ташкентская область", "Tashkent Region"), Position: 2},
		{ID: "01938000-0000-7000-8000-000000030003", Kind: Cities, CityID: "", Code: "samarkand", Name: n("Samarqand viloyati", "Самаркандская область", "Samarkand Region"), Position: 3},
		{ID: "01938000-0000-7000-8000-000000030004", Kind: Cities, CityID: "", Code: "bukhara", Name: n("Buxoro viloyati", "Бухарская область", "Bukhara Region"), Position: 4},
		{ID: "01938000-0000-7000-8000-000000030005", Kind: Cities, CityID: "", Code: "andijan", Name: n("Andijon viloyati", "Андижанская область", "Andijan Region"), Position: 5},
		{ID: "01938000-0000-7000-8000-000000030006", Kind: Cities, CityID: "", Code: "fergana", Name: n("Farg‘ona viloyati", "Ферганская область", "Fergana Region"), Position: 6},
		{ID: "01938000-0000-7000-8000-000000030007", Kind: Cities, CityID: "", Code: "namangan", Name: n("Namangan viloyati", "Наманганская область", "Namangan Region"), Position: 7},
		{ID: "01938000-0000-7000-8000-000000030008", Kind: Cities, CityID: "", Code: "kashkadarya", Name: n("Qashqadaryo viloyati", "Кашкадарьинская область", "Kashkadarya Region"), Position: 8},
		{ID: "01938000-0000-7000-8000-000000030009", Kind: Cities, CityID: "", Code: "surkhandarya", Name: n("Surxondaryo viloyati", "Сурхандарьинская область", "Surkhandarya Region"), Position: 9},
		{ID: "01938000-0000-7000-8000-00000003000a", Kind: Cities, CityID: "", Code: "jizzakh", Name: n("Jizzax viloyati", "Джизакская область", "Jizzakh Region"), Position: 10},
		{ID: "01938000-0000-7000-8000-00000003000b", Kind: Cities, CityID: "", Code: "syrdarya", Name: n("Sirdaryo viloyati", "Сырдарьинская область", "Syrdarya Region"), Position: 11},
		{ID: "01938000-0000-7000-8000-00000003000c", Kind: Cities, CityID: "", Code: "navoi", Name: n("Navoiy viloyati", "Навоийская область", "Navoi Region"), Position: 12},
		{ID: "01938000-0000-7000-8000-00000003000d", Kind: Cities, CityID: "", Code: "khorezm", Name: n("Xorazm viloyati", "Хорезмская область", "Khorezm Region"), Position: 13},
		{ID: "01938000-0000-7000-8000-00000003000e", Kind: Cities, CityID: "", Code: "karakalpakstan", Name: n("Qoraqalpog‘iston Respublikasi", "Республика Каракалпакстан", "Republic of Karakalpakstan"), Position: 14},
		{ID: "01938000-0000-7000-8000-000000040001", Kind: Districts, CityID: TashkentCityID, Code: "bektemir", Name: n("Bektemir tumani", "Бектемирский район", "Bektemir district"), Position: 1},
		{ID: "01938000-0000-7000-8000-000000040002", Kind: Districts, CityID: TashkentCityID, Code: "chilanzar", Name: n("Chilonzor tumani", "Чиланзарский район", "Chilanzar district"), Position: 2},
		{ID: "01938000-0000-7000-8000-000000040003", Kind: Districts, CityID: TashkentCityID, Code: "mirabad", Name: n("Mirobod tumani", "Мирабадский район", "Mirabad district"), Position: 3},
		{ID: "01938000-0000-7000-8000-000000040004", Kind: Districts, CityID: TashkentCityID, Code: "mirzo-ulugbek", Name: n("Mirzo Ulug‘bek tumani", "Мирзо-Улугбекский район", "Mirzo Ulugbek district"), Position: 4},
		{ID: "01938000-0000-7000-8000-000000040005", Kind: Districts, CityID: TashkentCityID, Code: "sergeli", Name: n("Sergeli tumani", "Сергелийский район", "Sergeli district"), Position: 5},
		{ID: "01938000-0000-7000-8000-000000040006", Kind: Districts, CityID: TashkentCityID, Code: "shaykhantakhur", Name: n("Shayxontohur tumani", "Шайхантахурский район", "Shaykhantakhur district"), Position: 6},
		{ID: "01938000-0000-7000-8000-000000040007", Kind: Districts, CityID: TashkentCityID, Code: "olmazor", Name: n("Olmazor tumani", "Алмазарский район", "Olmazor district"), Position: 7},
		{ID: "01938000-0000-7000-8000-000000040008", Kind: Districts, CityID: TashkentCityID, Code: "uchtepa", Name: n("Uchtepa tumani", "Учтепинский район", "Uchtepa district"), Position: 8},
		{ID: "01938000-0000-7000-8000-000000040009", Kind: Districts, CityID: TashkentCityID, Code: "yashnabad", Name: n("Yashnobod tumani", "Яшнабадский район", "Yashnabad district"), Position: 9},
		{ID: "01938000-0000-7000-8000-00000004000a", Kind: Districts, CityID: TashkentCityID, Code: "yakkasaray", Name: n("Yakkasaroy tumani", "Яккасарайский район", "Yakkasaray district"), Position: 10},
		{ID: "01938000-0000-7000-8000-00000004000b", Kind: Districts, CityID: TashkentCityID, Code: "yunusabad", Name: n("Yunusobod tumani", "Юнусабадский район", "Yunusabad district"), Position: 11},
		{ID: "01938000-0000-7000-8000-00000004000c", Kind: Districts, CityID: TashkentCityID, Code: "yangihayot", Name: n("Yangihayot tumani", "Янгихаётский район", "Yangihayot district"), Position: 12},
	}
}
