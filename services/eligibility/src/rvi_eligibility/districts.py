"""The 17 pilot customs districts (GACC-RVI 1) and subordinate customs offices mapped to them."""

from __future__ import annotations

PILOT_DISTRICTS: tuple[str, ...] = (
    "Shijiazhuang",
    "Dalian",
    "Shanghai",
    "Nanjing",
    "Hangzhou",
    "Ningbo",
    "Fuzhou",
    "Qingdao",
    "Wuhan",
    "Changsha",
    "Guangzhou",
    "Shenzhen",
    "Gongbei",
    "Huangpu",
    "Nanning",
    "Chongqing",
    "Urumqi",
)

SUBORDINATE_CUSTOMS: dict[str, str] = {
    "Cixi": "Ningbo",
    "Beilun": "Ningbo",
    "Yuyao": "Ningbo",
    "Zhenhai": "Ningbo",
    "Meishan": "Ningbo",
    "Pudong": "Shanghai",
    "Waigaoqiao": "Shanghai",
    "Yangshan": "Shanghai",
    "Wusong": "Shanghai",
    "Shekou": "Shenzhen",
    "Futian": "Shenzhen",
    "Huanggang": "Shenzhen",
    "Huangdao": "Qingdao",
    "Yantai": "Qingdao",
    "Weihai": "Qingdao",
    "Rizhao": "Qingdao",
    "Suzhou": "Nanjing",
    "Wuxi": "Nanjing",
    "Yiwu": "Hangzhou",
    "Wenzhou": "Hangzhou",
    "Dayaowan": "Dalian",
    "Mawei": "Fuzhou",
    "Zhongshan": "Gongbei",
    "Dongguan": "Huangpu",
    "Foshan": "Guangzhou",
    "Pingxiang": "Nanning",
    "Dongxing": "Nanning",
    "Khorgas": "Urumqi",
    "Alashankou": "Urumqi",
}

_BY_NAME: dict[str, str] = {d.casefold(): d for d in PILOT_DISTRICTS} | {
    office.casefold(): district for office, district in SUBORDINATE_CUSTOMS.items()
}


def _normalise(customs: str) -> str:
    name = " ".join(customs.split()).casefold()
    return name.removesuffix(" customs").strip()


def district_of(customs: str) -> str | None:
    """The pilot district a customs office belongs to (case-insensitive), or None outside the pilot."""
    return _BY_NAME.get(_normalise(customs))
