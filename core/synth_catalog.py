"""Static tables for the demo shop generator (:mod:`core.synth`).

Holds the product catalogue vocabulary (categories, product types, brands),
the geography (countries, regions, cities with coordinates), the planted
customer personas and the review text templates.  Nothing here draws random
numbers; :mod:`core.synth` combines these tables with a seeded generator.
"""

from __future__ import annotations

from dataclasses import dataclass

# --------------------------------------------------------------------------
# Catalogue
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class CategorySpec:
    """Vocabulary for one product category.

    ``types`` holds ``(product type, base price, repeat days)``; a repeat
    interval above zero marks a consumable that customers buy again.
    Brands are listed from budget to premium.
    """

    name: str
    share: float
    types: tuple[tuple[str, float, int], ...]
    brands: tuple[str, ...]
    adjectives: tuple[str, ...]
    attributes: tuple[str, ...]
    return_rate: float
    review_lines: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]  # pos, neutral, neg


BRAND_TIERS: tuple[float, ...] = (0.7, 0.85, 1.0, 1.0, 1.3, 1.7)

CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec(
        "Home Decor", 0.11,
        (("Cushion Cover", 24, 0), ("Table Lamp", 59, 0), ("Scented Candle", 18, 0),
         ("Wall Art Print", 35, 0), ("Ceramic Vase", 32, 0), ("Throw Blanket", 49, 0),
         ("Photo Frame", 16, 0), ("Woven Basket", 28, 0), ("Wall Mirror", 79, 0), ("Area Rug", 119, 0)),
        ("Loft Nine", "Hearthly", "Nordhavn", "Willow & Oak", "Casa Lumen", "Maison Brume"),
        ("Linen", "Boho", "Minimalist", "Velvet", "Rattan", "Scandi", "Terracotta", "Vintage"),
        ("Adds warmth to living rooms and bedrooms.", "Designed to pair with neutral and earthy palettes.",
         "Made from responsibly sourced materials.", "A quiet statement piece for any shelf or corner."),
        0.05,
        (("It looks stunning in our living room.", "Matches the rest of our decor perfectly."),
         ("The colour is a little different from the photos.", "Fine for a spare room."),
         ("The colour looked nothing like the pictures.", "It looks cheap next to our other furniture.")),
    ),
    CategorySpec(
        "Kitchen", 0.10,
        (("Chef's Knife", 69, 0), ("Cast Iron Skillet", 45, 0), ("Coffee Beans 1kg", 24, 28),
         ("Loose Leaf Tea", 12, 35), ("Cutting Board", 29, 0), ("Spice Set", 19, 0),
         ("Mixing Bowl Set", 34, 0), ("French Press", 32, 0), ("Olive Oil", 14, 42),
         ("Measuring Cups", 12, 0)),
        ("Pantry Co", "Salt Lane", "Oakridge Kitchen", "Brewhaus", "Copper & Thyme", "Ferro Cucina"),
        ("Stainless", "Artisan", "Classic", "Bamboo", "Enamel", "Organic", "Italian", "Everyday"),
        ("Built for everyday cooking and easy cleaning.", "A favourite of home cooks and bakers.",
         "Dishwasher safe and made to last.", "Sourced from small independent producers."),
        0.03,
        (("Makes cooking so much more fun.", "Tastes wonderful, the whole family noticed."),
         ("Does the job in the kitchen.", "Flavour is fine but not memorable."),
         ("Rusted after the first wash.", "Tasted stale straight out of the bag.")),
    ),
    CategorySpec(
        "Toys", 0.08,
        (("Wooden Train Set", 39, 0), ("Building Blocks", 29, 0), ("Plush Bear", 19, 0),
         ("Jigsaw Puzzle", 16, 0), ("Board Game", 27, 0), ("Dollhouse", 89, 0),
         ("Remote Control Car", 45, 0), ("Art Kit", 22, 0), ("Stacking Rings", 14, 0), ("Kite", 18, 0)),
        ("Playwise", "Brightbox", "Tumbletown", "Little Lark", "Puzzleberry", "Moonbeam Toys"),
        ("Wooden", "Classic", "Rainbow", "Junior", "Deluxe", "Eco", "Montessori", "Glow"),
        ("Safety tested for ages three and up.", "Encourages creative and open-ended play.",
         "Made with non-toxic paints and finishes.", "A perfect birthday or holiday present."),
        0.03,
        (("The kids have not put it down since.", "My daughter plays with it every day."),
         ("The kids played with it for a while.", "Fun but a bit fiddly to assemble."),
         ("Pieces were missing from the box.", "The kids lost interest in minutes.")),
    ),
    CategorySpec(
        "Fashion", 0.12,
        (("T-Shirt", 19, 0), ("Denim Jeans", 59, 0), ("Summer Dress", 45, 0), ("Wool Sweater", 69, 0),
         ("Sneakers", 79, 0), ("Rain Jacket", 99, 0), ("Leather Belt", 29, 0), ("Scarf", 24, 0),
         ("Socks 3-Pack", 12, 0), ("Crossbody Bag", 55, 0)),
        ("Greyline", "Urban Thread", "Solstice", "Kinfolk Denim", "Mara & Co", "Atelier Nord"),
        ("Organic Cotton", "Slim Fit", "Oversized", "Merino", "Recycled", "Classic", "Relaxed", "Cropped"),
        ("Cut for an easy, flattering fit.", "Made from soft, breathable fabric.",
         "Part of our capsule wardrobe collection.", "Machine washable and built for daily wear."),
        0.14,
        (("Fits perfectly and feels lovely to wear.", "I get compliments every time I wear it."),
         ("Sizing runs a little small.", "The fabric is thinner than expected."),
         ("The sizing was way off.", "Shrank badly after one wash.")),
    ),
    CategorySpec(
        "Beauty", 0.09,
        (("Shampoo Refill", 14, 30), ("Conditioner Refill", 14, 30), ("Face Cream", 29, 45),
         ("Lip Balm", 6, 40), ("Body Lotion", 16, 35), ("Face Serum", 39, 42), ("Hand Soap Refill", 9, 21),
         ("Makeup Brush Set", 34, 0), ("Eau de Parfum", 65, 0), ("Hair Dryer", 79, 0)),
        ("Dewdrop", "Pure Petal", "Botanica", "Velvetleaf", "Glow Theory", "Lumière Lab"),
        ("Hydrating", "Vegan", "Fragrance-Free", "Rose", "Aloe", "Argan", "Sensitive", "Daily"),
        ("Dermatologically tested and cruelty free.", "Comes in a recyclable refill pouch.",
         "Gentle enough for sensitive skin.", "Infused with natural botanical extracts."),
        0.04,
        (("My skin has never felt better.", "Smells amazing and lasts all day."),
         ("Smell is nice but fades quickly.", "Not sure it makes a real difference."),
         ("It irritated my skin.", "The scent is overpowering and artificial.")),
    ),
    CategorySpec(
        "Electronics Accessories", 0.10,
        (("USB-C Cable", 12, 0), ("Phone Case", 19, 0), ("Wireless Charger", 29, 0),
         ("Bluetooth Speaker", 59, 0), ("Laptop Sleeve", 35, 0), ("Wireless Earbuds", 79, 0),
         ("Power Bank", 39, 0), ("Screen Protector", 9, 0), ("Laptop Stand", 45, 0),
         ("AA Batteries 8-Pack", 9, 60)),
        ("Orbit", "Cablecraft", "Pixelguard", "Voltique", "Ampere Lab", "Nimbus Audio"),
        ("Fast-Charge", "Braided", "Slim", "Magnetic", "Rugged", "Compact", "Pro", "Matte"),
        ("Compatible with most modern phones and laptops.", "Backed by a two year warranty.",
         "Engineered for fast, reliable charging.", "Slim design that slips into any bag."),
        0.06,
        (("Works flawlessly with my phone.", "Charges really fast."),
         ("Works, but the connection drops now and then.", "Gets a bit warm while charging."),
         ("Stopped charging after two days.", "Would not pair with my laptop at all.")),
    ),
    CategorySpec(
        "Garden", 0.07,
        (("Plant Pot", 19, 0), ("Seed Kit", 9, 0), ("Pruning Shears", 24, 0), ("Garden Gloves", 12, 0),
         ("Watering Can", 22, 0), ("Organic Fertiliser", 14, 45), ("Potting Soil 20L", 11, 60),
         ("Bird Feeder", 27, 0), ("Solar Lights", 34, 0), ("Raised Bed", 89, 0)),
        ("Hedgerow", "Mossy Gate", "Rootbound", "Greenfinch", "Terra Verde", "Bloom & Bough"),
        ("Heritage", "Galvanised", "Compact", "Ceramic", "Eco", "Heavy-Duty", "Cottage", "Weatherproof"),
        ("Weatherproof and built for years outdoors.", "Loved by allotment growers and balcony gardeners.",
         "Peat free and kind to wildlife.", "Makes spring planting a pleasure."),
        0.03,
        (("The garden has never looked better.", "My plants are thriving."),
         ("Fine for a small balcony garden.", "Works but feels a bit flimsy outdoors."),
         ("Fell apart after one season outside.", "Nothing grew at all.")),
    ),
    CategorySpec(
        "Stationery", 0.07,
        (("A5 Notebook", 12, 0), ("Fountain Pen", 39, 0), ("Gel Pens 10-Pack", 9, 0),
         ("Weekly Planner", 19, 0), ("Sticky Notes", 5, 30), ("Desk Organiser", 25, 0),
         ("Washi Tape Set", 8, 0), ("Sketchbook", 14, 0), ("Printer Paper", 7, 45),
         ("Greeting Card Set", 11, 0)),
        ("Margin", "Linea", "Paperfox", "Studio Folio", "Quillmark", "Inkwell & Co"),
        ("Dotted", "Recycled", "Hardcover", "Pastel", "Refillable", "Minimal", "Kraft", "Premium"),
        ("Thick paper that stops ink bleeding through.", "Perfect for journaling, planning and sketching.",
         "Printed on FSC certified paper.", "A small luxury for your desk."),
        0.02,
        (("Writing in it is a real joy.", "The paper quality is superb."),
         ("Paper is fine but a bit thin.", "Does the job for office use."),
         ("The ink bleeds straight through the pages.", "The binding came apart quickly.")),
    ),
    CategorySpec(
        "Pet", 0.08,
        (("Dry Dog Food 10kg", 45, 30), ("Cat Food Pouches", 18, 21), ("Cat Litter", 15, 28),
         ("Dog Treats", 8, 21), ("Chew Toy", 12, 0), ("Pet Bed", 49, 0), ("Cat Scratching Post", 39, 0),
         ("Dog Leash", 19, 0), ("Pet Shampoo", 11, 60), ("Fish Flakes", 6, 45)),
        ("Tailwind", "Barkley", "Furrever", "Happy Paws", "Whisker & Tail", "Pawsome Pantry"),
        ("Natural", "Grain-Free", "Everyday", "Sensitive", "Senior", "Puppy", "Deluxe", "Eco"),
        ("Vet approved and made with natural ingredients.", "Loved by dogs and cats alike.",
         "Free from artificial colours and preservatives.", "Great for fussy eaters."),
        0.02,
        (("My dog absolutely loves it.", "The cats go crazy for it."),
         ("My cat was not too sure at first.", "The dog eats it but is not excited."),
         ("My pet refused to touch it.", "Gave my dog an upset stomach.")),
    ),
    CategorySpec(
        "Sports", 0.07,
        (("Yoga Mat", 29, 0), ("Dumbbell Set", 59, 0), ("Running Shorts", 25, 0), ("Water Bottle", 15, 0),
         ("Resistance Bands", 18, 0), ("Protein Powder", 32, 30), ("Foam Roller", 22, 0),
         ("Sports Socks", 11, 0), ("Tennis Balls", 7, 60), ("Gym Bag", 39, 0)),
        ("Kinetica", "Trailhead", "Stridewell", "Corevault", "Peakform", "Apex Motion"),
        ("Lightweight", "Pro", "Non-Slip", "Breathable", "Performance", "Training", "Eco", "Compact"),
        ("Built for training hard every day.", "Lightweight and easy to carry to the gym.",
         "Tested by amateur and pro athletes.", "Grippy, durable and easy to clean."),
        0.05,
        (("Perfect for my morning workouts.", "Holds up brilliantly during training."),
         ("Fine for light workouts.", "Grip could be better when sweaty."),
         ("Tore during my second workout.", "Slippery and unsafe to train with.")),
    ),
    CategorySpec(
        "Books", 0.06,
        (("Cookbook", 25, 0), ("Crime Novel", 12, 0), ("Travel Guide", 18, 0), ("Picture Book", 10, 0),
         ("Graphic Novel", 19, 0), ("Gardening Handbook", 22, 0), ("Poetry Collection", 14, 0),
         ("Biography", 21, 0), ("Sci-Fi Novel", 13, 0), ("Self-Help Guide", 16, 0)),
        ("Quayside", "Cinder House", "Lantern Books", "Bluebell Editions", "Harbour Press",
         "Northwind Publishing"),
        ("Bestselling", "Illustrated", "Paperback", "Hardback", "Award-Winning", "Pocket",
         "Collector's", "New"),
        ("A gripping read from the first page.", "Beautifully illustrated throughout.",
         "Recommended by independent booksellers.", "The perfect companion for a rainy Sunday."),
        0.02,
        (("Could not put it down.", "Beautifully written from start to finish."),
         ("A slow start but it picks up.", "Enjoyable enough for a holiday read."),
         ("Gave up halfway through.", "Pages were creased and torn on arrival.")),
    ),
    CategorySpec(
        "Gifts", 0.07,
        (("Gift Box", 35, 0), ("Personalised Mug", 16, 0), ("Pamper Gift Set", 29, 0),
         ("Chocolate Hamper", 39, 0),
         ("Photo Book", 29, 0), ("Keyring", 9, 0), ("Star Map Print", 45, 0), ("Birthday Card", 4, 0),
         ("Candle Gift Set", 27, 0), ("Wine Glass Set", 34, 0)),
        ("Parcel Post", "Merry Makers", "Giftory", "Keepsake Lane", "Thoughtful Things", "Ribbon & Co"),
        ("Personalised", "Luxury", "Festive", "Handmade", "Deluxe", "Classic", "Mini", "Keepsake"),
        ("Arrives beautifully gift wrapped.", "Add a personal message at checkout.",
         "A thoughtful present for birthdays and holidays.", "Handmade in small batches."),
        0.03,
        (("The recipient was over the moon.", "Wrapped beautifully, made a perfect present."),
         ("Nice present but the wrapping was creased.", "The personalisation was a bit faint."),
         ("Arrived too late for the birthday.", "The personalisation was spelled wrong.")),
    ),
)

# --------------------------------------------------------------------------
# Geography: country -> ((region, ((city, lat, lon, population weight), ...)), ...)
# --------------------------------------------------------------------------

GEOGRAPHY: dict[str, tuple[tuple[str, tuple[tuple[str, float, float, float], ...]], ...]] = {
    "United Kingdom": (
        ("England", (("London", 51.5074, -0.1278, 9.0), ("Manchester", 53.4808, -2.2426, 2.8),
                     ("Birmingham", 52.4862, -1.8904, 2.6), ("Bristol", 51.4545, -2.5879, 0.7),
                     ("Leeds", 53.8008, -1.5491, 0.8))),
        ("Scotland", (("Edinburgh", 55.9533, -3.1883, 0.5), ("Glasgow", 55.8642, -4.2518, 0.6))),
        ("Wales", (("Cardiff", 51.4816, -3.1791, 0.4),)),
    ),
    "Germany": (
        ("Berlin", (("Berlin", 52.5200, 13.4050, 3.7),)),
        ("Bavaria", (("Munich", 48.1351, 11.5820, 1.5), ("Nuremberg", 49.4521, 11.0767, 0.5))),
        ("North Rhine-Westphalia", (("Cologne", 50.9375, 6.9603, 1.1), ("Düsseldorf", 51.2277, 6.7735, 0.6))),
        ("Hamburg", (("Hamburg", 53.5511, 9.9937, 1.8),)),
    ),
    "France": (
        ("Île-de-France", (("Paris", 48.8566, 2.3522, 6.0),)),
        ("Auvergne-Rhône-Alpes", (("Lyon", 45.7640, 4.8357, 1.5),)),
        ("Provence-Alpes-Côte d'Azur", (("Marseille", 43.2965, 5.3698, 1.6), ("Nice", 43.7102, 7.2620, 0.6))),
        ("Occitanie", (("Toulouse", 43.6047, 1.4442, 1.0),)),
    ),
    "Netherlands": (
        ("North Holland", (("Amsterdam", 52.3676, 4.9041, 0.9),)),
        ("South Holland", (("Rotterdam", 51.9244, 4.4777, 0.65), ("The Hague", 52.0705, 4.3007, 0.55))),
        ("Utrecht", (("Utrecht", 52.0907, 5.1214, 0.36),)),
    ),
    "Spain": (
        ("Madrid", (("Madrid", 40.4168, -3.7038, 3.3),)),
        ("Catalonia", (("Barcelona", 41.3874, 2.1686, 1.6),)),
        ("Andalusia", (("Seville", 37.3891, -5.9845, 0.7), ("Málaga", 36.7213, -4.4214, 0.6))),
        ("Valencian Community", (("Valencia", 39.4699, -0.3763, 0.8),)),
    ),
    "Italy": (
        ("Lombardy", (("Milan", 45.4642, 9.1900, 1.4),)),
        ("Lazio", (("Rome", 41.9028, 12.4964, 2.8),)),
        ("Campania", (("Naples", 40.8518, 14.2681, 0.9),)),
        ("Piedmont", (("Turin", 45.0703, 7.6869, 0.85),)),
        ("Tuscany", (("Florence", 43.7696, 11.2558, 0.38),)),
    ),
    "United States": (
        ("California", (("Los Angeles", 34.0522, -118.2437, 3.9),
                        ("San Francisco", 37.7749, -122.4194, 0.9))),
        ("New York", (("New York", 40.7128, -74.0060, 8.3),)),
        ("Texas", (("Austin", 30.2672, -97.7431, 1.0), ("Houston", 29.7604, -95.3698, 2.3))),
        ("Illinois", (("Chicago", 41.8781, -87.6298, 2.7),)),
        ("Washington", (("Seattle", 47.6062, -122.3321, 0.75),)),
    ),
}

AGE_BANDS: tuple[str, ...] = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")
GENDERS: tuple[str, ...] = ("f", "m", "x")
DEVICES: tuple[str, ...] = ("mobile", "desktop", "tablet")
CHANNELS: tuple[str, ...] = ("organic", "email", "paid_search", "social", "direct")

# --------------------------------------------------------------------------
# Personas
# --------------------------------------------------------------------------

_WEEKDAYS = (1.35, 1.35, 1.35, 1.3, 1.15, 0.3, 0.2)
_WEEKENDS = (0.45, 0.45, 0.45, 0.5, 0.9, 2.4, 1.85)
_SUNDAYS = (0.5, 0.45, 0.45, 0.5, 0.6, 0.9, 3.6)
_EVERYDAY = (0.9, 0.9, 0.95, 1.05, 1.15, 1.05, 1.0)


@dataclass(frozen=True)
class Persona:
    """A planted customer type; all behavioural knobs of the generator.

    Tuples follow the orders of ``AGE_BANDS``, ``GENDERS``, ``DEVICES``,
    ``CHANNELS`` and Monday..Sunday.  ``categories`` gives the main category
    weights; the rest of the mass (up to 1) is spread over other categories.
    ``hour_peaks`` are ``(hour, weight, sd_hours)`` mixture components.
    """

    name: str
    description: str
    share: float
    categories: tuple[tuple[str, float], ...]
    orders_per_year: float
    basket_mean: float
    price_pref: float
    hour_peaks: tuple[tuple[float, float, float], ...]
    weekday_weights: tuple[float, ...]
    device_mix: tuple[float, float, float]
    channel_mix: tuple[float, float, float, float, float]
    countries: tuple[tuple[str, float], ...]
    age_mix: tuple[float, ...]
    gender_mix: tuple[float, float, float]
    views_mean: float = 3.5
    cart_rate: float = 0.3
    purchase_rate: float = 0.5
    staple_prob: float = 0.05
    return_mult: float = 1.0
    holiday_exp: float = 1.0
    spring_exp: float = 0.0


PERSONAS: tuple[Persona, ...] = (
    Persona(
        "weekend_mobile_gifters", "Gift and toy buyers on phones, Saturday evenings, big holiday spike",
        0.15, (("Gifts", 0.55), ("Toys", 0.30)), 2.8, 2.2, 0.0,
        ((19.5, 1.0, 1.3), (14.0, 0.35, 1.5)), _WEEKENDS, (0.82, 0.1, 0.08), (0.12, 0.08, 0.2, 0.45, 0.15),
        (("United Kingdom", 0.5), ("United States", 0.35), ("Netherlands", 0.15)),
        (0.1, 0.3, 0.3, 0.2, 0.07, 0.03), (0.6, 0.37, 0.03), holiday_exp=1.6,
    ),
    Persona(
        "pet_beauty_restockers", "Weekday-morning reorders of pet food and beauty refills every 3-6 weeks",
        0.10, (("Pet", 0.55), ("Beauty", 0.35)), 2.0, 1.4, -0.6,
        ((7.5, 1.0, 0.9),), _WEEKDAYS, (0.45, 0.5, 0.05), (0.1, 0.5, 0.05, 0.05, 0.3),
        (("Germany", 0.45), ("Netherlands", 0.35), ("United Kingdom", 0.2)),
        (0.05, 0.25, 0.3, 0.25, 0.1, 0.05), (0.65, 0.33, 0.02), views_mean=2.5, cart_rate=0.3,
        purchase_rate=0.55, staple_prob=1.0, holiday_exp=0.4,
    ),
    Persona(
        "night_owl_fashion_bargainers",
        "Late-night mobile scrolling for cheap fashion, big baskets, many returns",
        0.15, (("Fashion", 0.62), ("Beauty", 0.2)), 5.0, 2.8, -1.8,
        ((23.5, 1.0, 1.0), (1.0, 0.5, 0.8)), _EVERYDAY, (0.9, 0.06, 0.04), (0.05, 0.05, 0.3, 0.5, 0.1),
        (("France", 0.35), ("Spain", 0.35), ("Italy", 0.3)),
        (0.45, 0.35, 0.12, 0.05, 0.02, 0.01), (0.72, 0.24, 0.04), views_mean=5.0, cart_rate=0.32,
        purchase_rate=0.42, return_mult=1.6,
    ),
    Persona(
        "premium_home_nesters", "Evening desktop/tablet browsing for premium home decor and kitchenware",
        0.12, (("Home Decor", 0.55), ("Kitchen", 0.3)), 2.0, 1.4, 1.8,
        ((21.0, 1.0, 1.0),), _EVERYDAY, (0.15, 0.5, 0.35), (0.4, 0.15, 0.1, 0.05, 0.3),
        (("Germany", 0.45), ("Netherlands", 0.25), ("United Kingdom", 0.3)),
        (0.02, 0.18, 0.35, 0.3, 0.1, 0.05), (0.6, 0.38, 0.02), views_mean=4.5, cart_rate=0.25,
        purchase_rate=0.55,
    ),
    Persona(
        "lunchbreak_tech_buyers", "Weekday lunchtime desktop purchases of gadgets and desk supplies",
        0.13, (("Electronics Accessories", 0.58), ("Stationery", 0.25)), 3.5, 1.5, 0.5,
        ((12.5, 1.0, 0.7),), _WEEKDAYS, (0.15, 0.8, 0.05), (0.1, 0.05, 0.5, 0.1, 0.25),
        (("United States", 0.55), ("United Kingdom", 0.25), ("Germany", 0.2)),
        (0.2, 0.45, 0.25, 0.07, 0.02, 0.01), (0.25, 0.72, 0.03),
    ),
    Persona(
        "spring_garden_planners", "Weekend-morning tablet shoppers for garden kit, peaking in spring",
        0.10, (("Garden", 0.62), ("Books", 0.2)), 3.0, 2.5, 0.3,
        ((10.0, 1.0, 1.0),), _WEEKENDS, (0.1, 0.35, 0.55), (0.35, 0.35, 0.1, 0.05, 0.15),
        (("United Kingdom", 0.6), ("Netherlands", 0.25), ("France", 0.15)),
        (0.01, 0.05, 0.12, 0.25, 0.32, 0.25), (0.5, 0.48, 0.02), holiday_exp=0.5, spring_exp=1.0,
    ),
    Persona(
        "early_bird_athletes", "Pre-dawn mobile shoppers for sports gear and protein, frequent buyers",
        0.12, (("Sports", 0.62), ("Kitchen", 0.2)), 4.5, 1.7, 0.4,
        ((5.8, 1.0, 0.6),), _WEEKDAYS, (0.85, 0.1, 0.05), (0.1, 0.1, 0.35, 0.25, 0.2),
        (("United States", 0.4), ("Spain", 0.3), ("Italy", 0.3)),
        (0.25, 0.4, 0.22, 0.1, 0.02, 0.01), (0.45, 0.52, 0.03), staple_prob=0.3, holiday_exp=0.8,
    ),
    Persona(
        "sunday_bookworms", "Occasional Sunday-afternoon tablet readers buying books and stationery",
        0.13, (("Books", 0.6), ("Stationery", 0.28)), 1.5, 1.3, -0.8,
        ((16.0, 1.0, 1.2),), _SUNDAYS, (0.1, 0.25, 0.65), (0.5, 0.2, 0.1, 0.05, 0.15),
        (("France", 0.35), ("United Kingdom", 0.35), ("Italy", 0.3)),
        (0.15, 0.15, 0.15, 0.2, 0.2, 0.15), (0.58, 0.38, 0.04), views_mean=3.0, staple_prob=0.0,
    ),
)

# --------------------------------------------------------------------------
# Review templates: rating -> ((prefix, suffix), ...); text = prefix + noun + suffix
# --------------------------------------------------------------------------

REVIEW_OPENERS: dict[int, tuple[tuple[str, str], ...]] = {
    5: (("Love this ", "! Great quality."), ("Absolutely brilliant ", ", exceeded my expectations."),
        ("Best ", " I have bought in ages."), ("Five stars, the ", " is perfect."),
        ("Really happy with this ", ", would buy again."), ("Fantastic ", ", worth every penny.")),
    4: (("Very nice ", ", good value for money."), ("Good quality ", ", arrived quickly."),
        ("Solid ", ", just a little pricey."), ("Happy with the ", ", only minor quibbles."),
        ("Nice ", ", does what it says."), ("Pleased with this ", ", would recommend.")),
    3: (("The ", " is okay, nothing special."), ("Average ", ", expected a bit more."),
        ("Decent ", " but the finish could be better."), ("Mixed feelings about this ", "."),
        ("It's an alright ", " for the price."), ("The ", " is fine, nothing more.")),
    2: (("Not great, the ", " feels cheap."), ("Disappointing ", ", smaller than pictured."),
        ("The ", " did not live up to the description."), ("Meh ", ", would not buy again."),
        ("Below average ", ", the quality is poor."), ("Underwhelming ", ", not worth the money.")),
    1: (("Broke after a week, very disappointed with the ", "."), ("Terrible ", ", sent it straight back."),
        ("Awful ", ", complete waste of money."), ("The ", " arrived damaged and support was unhelpful."),
        ("Very poor ", ", do not recommend."), ("Worst ", " I have ever bought.")),
}

GENERIC_REVIEW_LINES: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]] = (
    ("Fast delivery too.", "Exactly as described."),
    ("Delivery took a while.", "It is what it is."),
    ("Customer service never replied.", "Packaging was falling apart."),
)
