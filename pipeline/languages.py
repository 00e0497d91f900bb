"""Languages as data: codes, English names, native names, and how we read user input.

Codes are ISO 639-1 where one exists (``yue`` for Cantonese is the one three-letter code).
Every surface (UI dropdowns, REST, CLI, vendor tables) speaks these codes.
"""

from __future__ import annotations

from pipeline.errors import UnknownLanguageError

__all__ = ["AUTO", "LANGUAGES", "language_name", "normalize_language"]

AUTO = "auto"

# code: (English name, native name)
LANGUAGES: dict[str, tuple[str, str]] = {
    "af": ("Afrikaans", "Afrikaans"),
    "am": ("Amharic", "አማርኛ"),
    "ar": ("Arabic", "العربية"),
    "as": ("Assamese", "অসমীয়া"),
    "az": ("Azerbaijani", "Azərbaycanca"),
    "be": ("Belarusian", "Беларуская"),
    "bg": ("Bulgarian", "Български"),
    "bn": ("Bengali", "বাংলা"),
    "bo": ("Tibetan", "བོད་སྐད"),
    "br": ("Breton", "Brezhoneg"),
    "bs": ("Bosnian", "Bosanski"),
    "ca": ("Catalan", "Català"),
    "cs": ("Czech", "Čeština"),
    "cy": ("Welsh", "Cymraeg"),
    "da": ("Danish", "Dansk"),
    "de": ("German", "Deutsch"),
    "el": ("Greek", "Ελληνικά"),
    "en": ("English", "English"),
    "eo": ("Esperanto", "Esperanto"),
    "es": ("Spanish", "Español"),
    "et": ("Estonian", "Eesti"),
    "eu": ("Basque", "Euskara"),
    "fa": ("Persian", "فارسی"),
    "fi": ("Finnish", "Suomi"),
    "fo": ("Faroese", "Føroyskt"),
    "fr": ("French", "Français"),
    "ga": ("Irish", "Gaeilge"),
    "gl": ("Galician", "Galego"),
    "gu": ("Gujarati", "ગુજરાતી"),
    "ha": ("Hausa", "Hausa"),
    "he": ("Hebrew", "עברית"),
    "hi": ("Hindi", "हिन्दी"),
    "hr": ("Croatian", "Hrvatski"),
    "ht": ("Haitian Creole", "Kreyòl ayisyen"),
    "hu": ("Hungarian", "Magyar"),
    "hy": ("Armenian", "Հայերեն"),
    "id": ("Indonesian", "Bahasa Indonesia"),
    "is": ("Icelandic", "Íslenska"),
    "it": ("Italian", "Italiano"),
    "ja": ("Japanese", "日本語"),
    "jv": ("Javanese", "Basa Jawa"),
    "ka": ("Georgian", "ქართული"),
    "kk": ("Kazakh", "Қазақ тілі"),
    "km": ("Khmer", "ខ្មែរ"),
    "kn": ("Kannada", "ಕನ್ನಡ"),
    "ko": ("Korean", "한국어"),
    "ky": ("Kyrgyz", "Кыргызча"),
    "la": ("Latin", "Latina"),
    "lb": ("Luxembourgish", "Lëtzebuergesch"),
    "lo": ("Lao", "ລາວ"),
    "lt": ("Lithuanian", "Lietuvių"),
    "lv": ("Latvian", "Latviešu"),
    "mi": ("Maori", "Māori"),
    "mk": ("Macedonian", "Македонски"),
    "ml": ("Malayalam", "മലയാളം"),
    "mn": ("Mongolian", "Монгол"),
    "mr": ("Marathi", "मराठी"),
    "ms": ("Malay", "Bahasa Melayu"),
    "mt": ("Maltese", "Malti"),
    "my": ("Burmese", "မြန်မာ"),
    "ne": ("Nepali", "नेपाली"),
    "nl": ("Dutch", "Nederlands"),
    "nn": ("Norwegian Nynorsk", "Nynorsk"),
    "no": ("Norwegian", "Norsk"),
    "oc": ("Occitan", "Occitan"),
    "pa": ("Punjabi", "ਪੰਜਾਬੀ"),
    "pl": ("Polish", "Polski"),
    "ps": ("Pashto", "پښتو"),
    "pt": ("Portuguese", "Português"),
    "ro": ("Romanian", "Română"),
    "ru": ("Russian", "Русский"),
    "sa": ("Sanskrit", "संस्कृतम्"),
    "sd": ("Sindhi", "سنڌي"),
    "si": ("Sinhala", "සිංහල"),
    "sk": ("Slovak", "Slovenčina"),
    "sl": ("Slovenian", "Slovenščina"),
    "sn": ("Shona", "chiShona"),
    "so": ("Somali", "Soomaali"),
    "sq": ("Albanian", "Shqip"),
    "sr": ("Serbian", "Српски"),
    "su": ("Sundanese", "Basa Sunda"),
    "sv": ("Swedish", "Svenska"),
    "sw": ("Swahili", "Kiswahili"),
    "ta": ("Tamil", "தமிழ்"),
    "te": ("Telugu", "తెలుగు"),
    "tg": ("Tajik", "Тоҷикӣ"),
    "th": ("Thai", "ไทย"),
    "tk": ("Turkmen", "Türkmençe"),
    "tl": ("Filipino (Tagalog)", "Filipino"),
    "tr": ("Turkish", "Türkçe"),
    "tt": ("Tatar", "Татарча"),
    "uk": ("Ukrainian", "Українська"),
    "ur": ("Urdu", "اردو"),
    "uz": ("Uzbek", "Oʻzbekcha"),
    "vi": ("Vietnamese", "Tiếng Việt"),
    "yi": ("Yiddish", "ייִדיש"),
    "yo": ("Yoruba", "Yorùbá"),
    "yue": ("Cantonese", "粵語"),
    "zh": ("Chinese (Mandarin)", "中文"),
}

# Other spellings people and vendors use for the same languages.
_ALIASES: dict[str, str] = {
    "cmn": "zh", "chinese": "zh", "mandarin": "zh", "zho": "zh", "chi": "zh",
    "zh-cn": "zh", "zh-hans": "zh", "zh-tw": "zh", "zh-hant": "zh",
    "eng": "en", "jpn": "ja", "kor": "ko", "spa": "es", "fra": "fr", "fre": "fr",
    "deu": "de", "ger": "de", "ita": "it", "por": "pt", "rus": "ru", "ara": "ar",
    "hin": "hi", "nld": "nl", "dut": "nl", "pol": "pl", "tur": "tr", "ukr": "uk",
    "vie": "vi", "tha": "th", "ind": "id", "swe": "sv", "heb": "he", "iw": "he",
    "fil": "tl", "tagalog": "tl", "filipino": "tl", "jw": "jv", "nb": "no",
    "bokmål": "no", "farsi": "fa", "cantonese": "yue", "zh-hk": "yue",
}


def _lookup_table() -> dict[str, str]:
    table = dict(_ALIASES)
    for code, (english, native) in LANGUAGES.items():
        table[code] = code
        table[english.lower()] = code
        table[native.lower()] = code
    table["filipino (tagalog)"] = "tl"
    table["chinese (mandarin)"] = "zh"
    return table


_LOOKUP = _lookup_table()


def normalize_language(value: str, *, allow_auto: bool = False) -> str:
    """Turn a code, a name or a locale ("ja", "Japanese", "ja-JP", "jpn") into our code.

    Args:
        value: what the user or a vendor gave.
        allow_auto: accept "auto" (and an empty value) and return ``AUTO``.

    Raises:
        UnknownLanguageError: when the value names no language we know.
    """
    raw = (value or "").strip()
    key = raw.lower().replace("_", "-")
    if allow_auto and key in {"", AUTO, "auto-detect", "detect"}:
        return AUTO
    if key in _LOOKUP:
        return _LOOKUP[key]
    base = key.split("-")[0]
    if base in _LOOKUP and base != key:
        return _LOOKUP[base]
    shown = raw or "(empty)"
    raise UnknownLanguageError(  # each surface adds where its list is
        f"Unknown language {shown!r}. Use a code such as 'ja' or a name such as 'Japanese'."
    )


def language_name(code: str) -> str:
    """English name of a language code ("ja" -> "Japanese"); the code itself if unknown."""
    entry = LANGUAGES.get(code)
    return entry[0] if entry else code
