"""Static customer tables for the demo shop generator (:mod:`core.demo.synth`).

Holds the geography (countries, regions, cities with coordinates), the
demographic, device and channel vocabularies and the planted customer
personas with all their behavioural knobs.  Nothing here draws random numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

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
