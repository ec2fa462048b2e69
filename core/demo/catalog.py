"""Static product tables for the demo shop generator (:mod:`core.demo.synth`).

Holds the product catalogue vocabulary (categories, product types, brands,
price tiers) and the review text templates.  Nothing here draws random
numbers; :mod:`core.demo.products` and :mod:`core.demo.events` combine
these tables with a seeded generator.  Customer-side tables (geography,
demographics, personas) live in :mod:`core.demo.personas`.
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
