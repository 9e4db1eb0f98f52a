"""Reference data the generator draws from: names, places, sectors, occupations, products.

Only plain tuples live here, so that every other module can turn them into numpy arrays.
Weights need not sum to one; callers normalise them. The values are illustrative, chosen to
look like a Chinese bank's book (city codes are the real administrative prefixes).
"""

from __future__ import annotations

from typing import Final, NamedTuple

__all__ = [
    "BANKS",
    "BRAND_CHARS",
    "CITIES",
    "COLLATERAL_KINDS",
    "COMPANY_SIZES",
    "DISTRICTS",
    "EVENT_TEMPLATES",
    "GIVEN_FEMALE",
    "GIVEN_MALE",
    "OCCUPATIONS",
    "PRODUCTS",
    "REPAYMENT_CHANNELS",
    "ROADS",
    "SECTORS",
    "SURNAMES",
    "City",
    "Occupation",
    "Product",
    "Sector",
]

#: Common surnames with rough population weights.
#: The currency of every amount the generator writes (a Chinese loan book).
CURRENCY: Final = "CNY"

SURNAMES: Final = (
    ("王", 7.1), ("李", 7.0), ("张", 6.7), ("刘", 5.4), ("陈", 4.5), ("杨", 3.1), ("黄", 2.2),
    ("赵", 2.0), ("吴", 2.0), ("周", 1.9), ("徐", 1.3), ("孙", 1.2), ("马", 1.2), ("朱", 1.1),
    ("胡", 1.0), ("郭", 1.0), ("何", 0.9), ("高", 0.9), ("林", 0.9), ("罗", 0.9), ("郑", 0.8),
    ("梁", 0.8), ("谢", 0.6), ("宋", 0.6), ("唐", 0.6), ("许", 0.5), ("韩", 0.5), ("冯", 0.5),
    ("邓", 0.5), ("曹", 0.5), ("彭", 0.5), ("曾", 0.5), ("肖", 0.5), ("田", 0.4), ("董", 0.4),
    ("袁", 0.4), ("潘", 0.4), ("于", 0.4), ("蒋", 0.4), ("蔡", 0.4), ("余", 0.4), ("杜", 0.4),
    ("叶", 0.4), ("程", 0.4), ("苏", 0.3), ("魏", 0.3), ("吕", 0.3), ("丁", 0.3), ("任", 0.3),
    ("沈", 0.3), ("姚", 0.3), ("卢", 0.3), ("姜", 0.3), ("崔", 0.3), ("钟", 0.3), ("谭", 0.3),
    ("陆", 0.3), ("汪", 0.3), ("范", 0.3), ("金", 0.3), ("石", 0.3), ("廖", 0.2), ("贾", 0.2),
    ("夏", 0.2), ("韦", 0.2), ("方", 0.2), ("白", 0.2), ("邹", 0.2), ("孟", 0.2), ("熊", 0.2),
    ("秦", 0.2), ("邱", 0.2), ("江", 0.2), ("尹", 0.2), ("薛", 0.2), ("段", 0.2), ("雷", 0.2),
    ("侯", 0.2), ("龙", 0.2), ("史", 0.2), ("陶", 0.2), ("黎", 0.2), ("贺", 0.2), ("顾", 0.2),
    ("毛", 0.2), ("郝", 0.2), ("龚", 0.2), ("邵", 0.2), ("万", 0.2), ("钱", 0.2), ("严", 0.2),
    ("欧阳", 0.05), ("司马", 0.02), ("诸葛", 0.01),
)

GIVEN_MALE: Final = tuple(
    "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林峰建国志文海东亮成博"
    "毅翔晨阳远航鸿斌坤锋彬振庆"
)
GIVEN_FEMALE: Final = tuple(
    "芳娜敏静丽艳娟霞秀玲桂英慧巧美倩婷雪琳晶颖洁欣怡佳丹萍红燕蕾薇梅莉琴云莹月萱雯璐"
    "瑶婧楠"
)


class City(NamedTuple):
    name: str
    province: str
    code: int  # six-digit administrative prefix, used in national ids
    tier: int  # 1 = first-tier city
    weight: float
    area_code: str


CITIES: Final = (
    City("北京市", "北京市", 110100, 1, 6.0, "010"),
    City("上海市", "上海市", 310100, 1, 6.0, "021"),
    City("广州市", "广东省", 440100, 1, 5.0, "020"),
    City("深圳市", "广东省", 440300, 1, 5.0, "0755"),
    City("杭州市", "浙江省", 330100, 2, 4.0, "0571"),
    City("宁波市", "浙江省", 330200, 2, 2.0, "0574"),
    City("温州市", "浙江省", 330300, 2, 3.0, "0577"),
    City("绍兴市", "浙江省", 330600, 3, 2.0, "0575"),
    City("台州市", "浙江省", 331000, 3, 2.0, "0576"),
    City("南京市", "江苏省", 320100, 2, 3.0, "025"),
    City("苏州市", "江苏省", 320500, 2, 4.0, "0512"),
    City("无锡市", "江苏省", 320200, 2, 2.0, "0510"),
    City("成都市", "四川省", 510100, 2, 4.0, "028"),
    City("重庆市", "重庆市", 500100, 2, 4.0, "023"),
    City("武汉市", "湖北省", 420100, 2, 3.0, "027"),
    City("西安市", "陕西省", 610100, 2, 3.0, "029"),
    City("天津市", "天津市", 120100, 2, 3.0, "022"),
    City("郑州市", "河南省", 410100, 2, 3.0, "0371"),
    City("长沙市", "湖南省", 430100, 2, 3.0, "0731"),
    City("济南市", "山东省", 370100, 2, 2.0, "0531"),
    City("青岛市", "山东省", 370200, 2, 3.0, "0532"),
    City("合肥市", "安徽省", 340100, 2, 2.0, "0551"),
    City("福州市", "福建省", 350100, 2, 2.0, "0591"),
    City("厦门市", "福建省", 350200, 2, 2.0, "0592"),
    City("泉州市", "福建省", 350500, 3, 2.0, "0595"),
    City("东莞市", "广东省", 441900, 2, 3.0, "0769"),
    City("佛山市", "广东省", 440600, 2, 3.0, "0757"),
    City("沈阳市", "辽宁省", 210100, 2, 2.0, "024"),
    City("大连市", "辽宁省", 210200, 2, 2.0, "0411"),
    City("哈尔滨市", "黑龙江省", 230100, 3, 2.0, "0451"),
    City("昆明市", "云南省", 530100, 3, 2.0, "0871"),
    City("南宁市", "广西壮族自治区", 450100, 3, 2.0, "0771"),
    City("石家庄市", "河北省", 130100, 3, 2.0, "0311"),
    City("太原市", "山西省", 140100, 3, 2.0, "0351"),
    City("南昌市", "江西省", 360100, 3, 2.0, "0791"),
    City("贵阳市", "贵州省", 520100, 3, 1.0, "0851"),
    City("兰州市", "甘肃省", 620100, 3, 1.0, "0931"),
    City("乌鲁木齐市", "新疆维吾尔自治区", 650100, 3, 1.0, "0991"),
)

DISTRICTS: Final = ("高新区", "经开区", "城东区", "城西区", "城南区", "城北区", "新区", "老城区")
ROADS: Final = (
    "人民路", "中山路", "解放路", "建设路", "和平路", "文化路", "长江路", "黄河路", "南京路",
    "北京路", "东风路", "胜利路", "青年路", "新华路", "朝阳路", "友谊路", "光明路", "幸福路",
    "学院路", "工业路", "滨江路", "科技路", "创业路", "环城路", "花园路",
)


class Occupation(NamedTuple):
    name: str
    weight: float
    income_median: float  # yuan per month
    risk: float  # additive effect on the logit of default intensity


OCCUPATIONS: Final = (
    Occupation("公司职员", 24.0, 7_500, -0.10),
    Occupation("工人", 14.0, 5_200, 0.10),
    Occupation("个体工商户", 12.0, 8_000, 0.30),
    Occupation("销售", 8.0, 6_500, 0.20),
    Occupation("司机", 6.0, 6_000, 0.20),
    Occupation("农民", 6.0, 3_500, 0.30),
    Occupation("教师", 5.0, 7_000, -0.40),
    Occupation("医护人员", 4.0, 9_000, -0.40),
    Occupation("公务员", 4.0, 8_500, -0.60),
    Occupation("工程师", 6.0, 12_000, -0.30),
    Occupation("自由职业", 6.0, 6_000, 0.50),
    Occupation("退休", 5.0, 4_500, -0.20),
)
#: The occupation given to persons who own or direct a company in the portfolio.
OWNER_OCCUPATION: Final = Occupation("企业主", 0.0, 20_000, 0.20)


class Sector(NamedTuple):
    code: str
    label: str  # the word used in company names
    weight: float
    risk: float
    revenue_factor: float


SECTORS: Final = (
    Sector("manufacturing", "机械制造", 20.0, 0.20, 1.2),
    Sector("wholesale_retail", "商贸", 22.0, 0.10, 1.4),
    Sector("construction", "建筑工程", 9.0, 0.50, 1.1),
    Sector("real_estate", "房地产开发", 4.0, 0.60, 1.5),
    Sector("transport_logistics", "物流", 7.0, 0.15, 0.9),
    Sector("hospitality_catering", "餐饮管理", 7.0, 0.35, 0.6),
    Sector("information_technology", "信息技术", 8.0, -0.20, 0.8),
    Sector("agriculture", "农业科技", 5.0, 0.25, 0.6),
    Sector("textiles", "纺织", 6.0, 0.30, 0.9),
    Sector("chemicals", "化工", 4.0, 0.20, 1.3),
    Sector("electronics", "电子科技", 5.0, 0.00, 1.1),
    Sector("business_services", "企业管理咨询", 3.0, 0.05, 0.5),
)

#: (size, weight, median annual revenue in yuan, risk effect)
COMPANY_SIZES: Final = (
    ("micro", 45.0, 3e6, 0.50),
    ("small", 35.0, 2.5e7, 0.25),
    ("medium", 15.0, 2e8, 0.00),
    ("large", 5.0, 2e9, -0.50),
)

BRAND_CHARS: Final = tuple(
    "鑫达华盛恒泰丰源宏兴隆昌瑞祥德信中天金银正通远航安康永嘉新科创荣顺宝利凯明辉海东方"
    "博旺福佳亿万富豪汇联盈合成众和锦润诚立力宇星光辰腾飞龙豪峰久长乐美欣益捷"
)


class Product(NamedTuple):
    code: str
    for_company: bool
    weight: float
    method: str  # annuity / equal_principal / interest_only / bullet
    period_months: int  # months between installments (bullets: the term)
    terms: tuple[int, ...]
    term_weights: tuple[float, ...]
    rate_low: float
    rate_high: float
    collateral_prob: float


PRODUCTS: Final = (
    Product("consumer_loan", False, 0.30, "annuity", 1, (3, 6, 12), (0.30, 0.45, 0.25),
            0.072, 0.18, 0.0),
    Product("micro_credit", False, 0.45, "bullet", 0, (1, 3, 6), (0.30, 0.40, 0.30),
            0.12, 0.24, 0.0),
    Product("personal_business", False, 0.25, "interest_only", 3, (6, 12), (0.40, 0.60),
            0.045, 0.09, 0.35),
    Product("working_capital", True, 0.55, "interest_only", 3, (12,), (1.0,),
            0.036, 0.07, 0.30),
    Product("trade_finance", True, 0.25, "bullet", 0, (3, 6), (0.5, 0.5),
            0.035, 0.06, 0.30),
    Product("fixed_asset", True, 0.20, "equal_principal", 3, (24, 36), (0.6, 0.4),
            0.040, 0.075, 0.90),
)

COLLATERAL_KINDS: Final = ("real_estate", "equipment", "receivables", "deposit", "land_use_right")

BANKS: Final = (
    "中国工商银行", "中国建设银行", "中国农业银行", "中国银行", "交通银行", "招商银行",
    "兴业银行", "浙商银行", "民生银行", "平安银行",
)

REPAYMENT_CHANNELS: Final = (
    ("auto_debit", 0.55), ("mobile_app", 0.25), ("bank_transfer", 0.15), ("counter", 0.05),
)

#: kind -> ((title template, severity low, severity high), ...), and the sources of that kind.
EVENT_TEMPLATES: Final = {
    "court_case": (
        (("{name}金融借款合同纠纷案立案", 3, 4), ("{name}买卖合同纠纷一审判决", 3, 4),
         ("{name}民间借贷纠纷开庭公告", 3, 4), ("{name}被列为失信被执行人", 5, 5)),
        ("中国裁判文书网", "人民法院公告网", "中国执行信息公开网"),
    ),
    "news": (
        (("{name}拖欠供应商货款遭曝光", 2, 4), ("{name}实际控制人失联传闻", 4, 5),
         ("{name}停产整顿", 3, 4), ("{name}被环保部门处罚", 2, 3), ("{name}大额债务逾期", 4, 5)),
        ("财经网", "地方新闻网", "证券时报", "经济观察报"),
    ),
    "social": (
        (("网友投诉{name}拖欠工资", 1, 3), ("{name}相关负面帖子引发关注", 1, 2),
         ("网友称{name}借款不还", 2, 3)),
        ("微博", "抖音", "小红书", "百度贴吧"),
    ),
}
