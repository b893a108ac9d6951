//! Slot fillers: the names, banks, couriers, shops, amounts, links, phone numbers and codes that
//! templates refer to as `{slot}`.
//!
//! Every pool exists once per language, because a Chinese message with an American bank (or an
//! English one with 顺丰) would give the classifier an easy, unrealistic language cue. Phone
//! numbers in English messages use the fictional 555-01xx and 07700 900xxx ranges so the corpus
//! never points at a real subscriber; Chinese mobile numbers are random digits behind common
//! prefixes, because there is no reserved fictional range to use.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::Language;

/// Picks one item uniformly.
///
/// The index is drawn as a `u32` on purpose: `gen_range` over `usize` reads a different number
/// of random bits on 32- and 64-bit targets, which would break byte-identical output.
pub(crate) fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    debug_assert!(!items.is_empty(), "slot pools are never empty");
    let len = u32::try_from(items.len()).unwrap_or(u32::MAX);
    &items[rng.gen_range(0..len) as usize]
}

/// A pool of values, one list per language.
pub(crate) struct Pool {
    pub en: &'static [&'static str],
    pub zh: &'static [&'static str],
}

impl Pool {
    pub(crate) fn pick(&self, rng: &mut ChaCha8Rng, language: Language) -> &'static str {
        match language {
            Language::English => pick::<&str>(rng, self.en),
            Language::Chinese => pick::<&str>(rng, self.zh),
        }
    }
}

/// A bank: its display name, its real web domain and a service number.
pub(crate) struct Bank {
    pub name: &'static str,
    pub domain: &'static str,
    pub hotline: &'static str,
}

const fn bank(name: &'static str, domain: &'static str, hotline: &'static str) -> Bank {
    Bank {
        name,
        domain,
        hotline,
    }
}

/// English-language banks. The hotlines are fictional 555 numbers.
pub(crate) const BANKS_EN: &[Bank] = &[
    bank("Chase", "chase.com", "1-800-555-0134"),
    bank("Bank of America", "bankofamerica.com", "1-800-555-0188"),
    bank("Wells Fargo", "wellsfargo.com", "1-800-555-0162"),
    bank("Citi", "citi.com", "1-800-555-0117"),
    bank("Capital One", "capitalone.com", "1-800-555-0145"),
    bank("HSBC", "hsbc.co.uk", "0345 555 0101"),
    bank("Barclays", "barclays.co.uk", "0345 555 0199"),
    bank("Lloyds", "lloydsbank.com", "0345 555 0123"),
    bank("DBS", "dbs.com.sg", "1800 555 0111"),
    bank("Standard Chartered", "sc.com", "1800 555 0172"),
];

/// Chinese banks with their public customer-service numbers, which is what genuine bank SMS
/// quote; scams quote a mobile or a 400 number instead, which is one of the few honest cues.
pub(crate) const BANKS_ZH: &[Bank] = &[
    bank("工商银行", "icbc.com.cn", "95588"),
    bank("建设银行", "ccb.com", "95533"),
    bank("招商银行", "cmbchina.com", "95555"),
    bank("中国银行", "boc.cn", "95566"),
    bank("农业银行", "abchina.com", "95599"),
    bank("交通银行", "bankcomm.com", "95559"),
    bank("平安银行", "pingan.com", "95511"),
    bank("浦发银行", "spdb.com.cn", "95528"),
    bank("邮储银行", "psbc.com", "95580"),
];

/// A courier: display name, web domain, tracking-number prefix and service number.
pub(crate) struct Courier {
    pub name: &'static str,
    pub domain: &'static str,
    pub prefix: &'static str,
    pub hotline: &'static str,
}

const fn courier(
    name: &'static str,
    domain: &'static str,
    prefix: &'static str,
    hotline: &'static str,
) -> Courier {
    Courier {
        name,
        domain,
        prefix,
        hotline,
    }
}

pub(crate) const COURIERS_EN: &[Courier] = &[
    courier("UPS", "ups.com", "1Z", "1-800-555-0177"),
    courier("FedEx", "fedex.com", "7", "1-800-555-0108"),
    courier("DHL", "dhl.com", "JD", "1-800-555-0126"),
    courier("USPS", "usps.com", "9400", "1-800-555-0150"),
    courier("Royal Mail", "royalmail.com", "RM", "0345 555 0140"),
    courier("Evri", "evri.com", "H0", "0330 555 0166"),
    courier("Canada Post", "canadapost.ca", "CP", "1-866-555-0190"),
    courier("Australia Post", "auspost.com.au", "AP", "13 55 01"),
];

pub(crate) const COURIERS_ZH: &[Courier] = &[
    courier("顺丰速运", "sf-express.com", "SF", "95338"),
    courier("中通快递", "zto.com", "7", "95311"),
    courier("圆通速递", "yto.net.cn", "YT", "95554"),
    courier("韵达快递", "yundaex.com", "43", "95546"),
    courier("京东物流", "jdl.com", "JDV", "950616"),
    courier("中国邮政", "ems.com.cn", "E", "11183"),
    courier("申通快递", "sto.cn", "77", "95543"),
];

/// A shop or online service: display name, web domain and the short-link host it uses.
pub(crate) struct Shop {
    pub name: &'static str,
    pub domain: &'static str,
    pub short: &'static str,
}

const fn shop(name: &'static str, domain: &'static str, short: &'static str) -> Shop {
    Shop {
        name,
        domain,
        short,
    }
}

pub(crate) const SHOPS_EN: &[Shop] = &[
    shop("Amazon", "amazon.com", "a.co/d"),
    shop("Walmart", "walmart.com", "walmart.com/s"),
    shop("Target", "target.com", "tgt.biz"),
    shop("IKEA", "ikea.com", "ikea.us"),
    shop("Best Buy", "bestbuy.com", "bby.me"),
    shop("Uniqlo", "uniqlo.com", "uniqlo.co"),
    shop("Sephora", "sephora.com", "seph.me"),
    shop("eBay", "ebay.com", "ebay.us"),
    shop("Etsy", "etsy.com", "etsy.me"),
    shop("Tesco", "tesco.com", "tes.co"),
];

pub(crate) const SHOPS_ZH: &[Shop] = &[
    shop("淘宝", "taobao.com", "m.tb.cn/h"),
    shop("京东", "jd.com", "u.jd.com"),
    shop("天猫", "tmall.com", "m.tb.cn/h"),
    shop("拼多多", "pinduoduo.com", "p.pinduoduo.com"),
    shop("美团", "meituan.com", "dpurl.cn"),
    shop("盒马", "freshhema.com", "m.tb.cn/h"),
    shop("唯品会", "vip.com", "t.vip.com"),
    shop("苏宁易购", "suning.com", "sn.cn"),
    shop("优衣库", "uniqlo.cn", "t.cn"),
];

pub(crate) const NAMES: Pool = Pool {
    en: &[
        "Emma", "Liam", "Olivia", "Noah", "Ava", "James", "Sophia", "Lucas", "Mia", "Ethan",
        "Grace", "Daniel", "Chloe", "Ryan", "Zoe", "Jack", "Hannah", "Leo", "Priya", "Omar",
        "Sarah", "Tom", "Aisha", "Ben", "Lily", "Sam", "Nina", "Alex", "Kate", "Marco", "Jess",
        "Dave", "Amy", "Raj", "Ella", "Chris", "Maya", "Josh", "Ruby", "Wei",
    ],
    zh: &[
        "小王", "老李", "张伟", "王芳", "李娜", "刘洋", "陈静", "阿强", "小美", "婷婷", "浩然",
        "子涵", "小刘", "老张", "晓明", "丽丽", "佳怡", "志强", "小陈", "小杨", "思雨", "俊杰",
        "文博", "雨欣", "小赵", "建国", "秀英", "欣怡", "一鸣", "梓萱", "阿杰", "小周", "晨晨",
        "大伟", "芳芳", "明轩", "小吴", "嘉豪", "诗涵", "老周",
    ],
};

pub(crate) const SURNAMES: Pool = Pool {
    en: &[
        "Miller", "Johnson", "Brown", "Davis", "Wilson", "Taylor", "Clark", "Lewis", "Walker",
        "Young", "Patel", "Nguyen", "Khan", "Garcia", "Evans", "Hughes",
    ],
    zh: &[
        "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱",
    ],
};

pub(crate) const TITLES_EN: &[&str] = &["Mr.", "Ms.", "Mrs.", "Dr.", "Mr", "Ms"];
pub(crate) const TITLES_ZH: &[&str] = &["先生", "女士"];

pub(crate) const RELATIVES: Pool = Pool {
    en: &[
        "Mum", "Mom", "Dad", "Grandma", "Grandpa", "Auntie", "sis", "bro",
    ],
    zh: &[
        "妈", "爸", "奶奶", "爷爷", "姑姑", "舅舅", "姐", "哥", "小姨",
    ],
};

pub(crate) const MERCHANTS: Pool = Pool {
    en: &[
        "BESTBUY.COM",
        "Shell",
        "Starbucks",
        "WALMART",
        "APPLE.COM/BILL",
        "Uber Trip",
        "Tesco",
        "Costco",
        "Steam Games",
        "Airbnb",
        "Target",
        "AMZN Mktp",
        "Whole Foods",
        "IKEA",
    ],
    zh: &[
        "美团外卖",
        "滴滴出行",
        "星巴克",
        "中石化加油站",
        "京东商城",
        "盒马鲜生",
        "携程旅行",
        "麦当劳",
        "屈臣氏",
        "拼多多",
        "山姆会员店",
        "财付通-微信支付",
        "支付宝-淘宝",
    ],
};

/// A utility or telecom provider, with what its bill is called and its web domain, so a gas
/// company never sends a phone bill.
pub(crate) struct Utility {
    pub name: &'static str,
    pub bill: &'static str,
    pub domain: &'static str,
}

const fn utility(name: &'static str, bill: &'static str, domain: &'static str) -> Utility {
    Utility { name, bill, domain }
}

pub(crate) const UTILITIES_EN: &[Utility] = &[
    utility("Con Edison", "electricity", "coned.com"),
    utility("British Gas", "gas", "britishgas.co.uk"),
    utility("Thames Water", "water", "thameswater.co.uk"),
    utility("Verizon", "phone", "verizon.com"),
    utility("Comcast Xfinity", "internet", "xfinity.com"),
    utility("EDF Energy", "energy", "edfenergy.com"),
    utility("AT&T", "wireless", "att.com"),
    utility("Octopus Energy", "energy", "octopus.energy"),
    utility("PG&E", "electricity", "pge.com"),
    utility("Vodafone", "mobile", "vodafone.co.uk"),
];

pub(crate) const UTILITIES_ZH: &[Utility] = &[
    utility("国家电网", "电费", "95598.cn"),
    utility("南方电网", "电费", "95598.csg.cn"),
    utility("中国移动", "话费", "10086.cn"),
    utility("中国联通", "话费", "10010.com"),
    utility("中国电信", "宽带费", "189.cn"),
    utility("北京燃气", "燃气费", "bjgas.com"),
    utility("上海自来水", "水费", "shwater.com"),
    utility("深圳燃气", "燃气费", "szgas.com.cn"),
    utility("杭州水务", "水费", "hzwater.gov.cn"),
];

pub(crate) const CITIES: Pool = Pool {
    en: &[
        "London",
        "Chicago",
        "Toronto",
        "Sydney",
        "Singapore",
        "Lagos",
        "Manila",
        "Dubai",
        "Madrid",
        "Bangkok",
        "Houston",
        "Manchester",
        "Kuala Lumpur",
        "Vancouver",
    ],
    zh: &[
        "北京", "上海", "广州", "深圳", "杭州", "成都", "武汉", "南京", "西安", "重庆", "苏州",
        "天津", "长沙", "厦门",
    ],
};

pub(crate) const PLACES: Pool = Pool {
    en: &[
        "Luigi's",
        "the Green Cafe",
        "Riverside Park",
        "the community centre",
        "Pizza Express",
        "the Thai place on 5th",
        "Dunmore Street",
        "the Westfield food court",
        "Blue Door Bistro",
        "the usual spot",
        "Central Library",
        "the Royal Oak",
    ],
    zh: &[
        "海底捞(万达店)",
        "老地方",
        "公司楼下咖啡厅",
        "星巴克",
        "人民广场",
        "西湖边",
        "太古里",
        "外婆家",
        "小区门口",
        "绿茶餐厅",
        "万象城",
        "学校门口",
    ],
};

/// Parcel lockers, pick-up points and car parks: places the courier and parking messages name.
pub(crate) const PICKUPS: Pool = Pool {
    en: &[
        "the Post Office on King St",
        "Locker 14B, Tesco Extra",
        "the depot on Mill Road",
        "Amazon Locker 'Juniper'",
        "Riverside Shopping Centre car park",
        "Station Road car park",
        "the Co-op on High Street",
        "CVS Pharmacy, 3rd Ave",
    ],
    zh: &[
        "小区门口菜鸟驿站",
        "3号楼丰巢柜",
        "西门快递点",
        "万达广场停车场",
        "公司前台",
        "兔喜生活超市",
        "地铁站B口停车场",
        "南门驿站",
    ],
};

pub(crate) const CLINICS: Pool = Pool {
    en: &[
        "Riverside Dental",
        "City Health Clinic",
        "St Mary's Hospital",
        "Bright Eyes Optometry",
        "Oak Tree Medical Centre",
        "Northside Physio",
        "Lakeview Family Practice",
    ],
    zh: &[
        "协和医院",
        "市第一人民医院",
        "瑞尔齿科",
        "美年大健康",
        "社区卫生服务中心",
        "爱尔眼科",
        "市妇幼保健院",
    ],
};

pub(crate) const DEPARTMENTS: Pool = Pool {
    en: &["dental", "eye", "skin", "physio", "blood test"],
    zh: &["口腔科", "眼科", "皮肤科", "内科", "骨科", "儿科"],
};

pub(crate) const PRIZES: Pool = Pool {
    en: &[
        "an iPhone 15 Pro",
        "a Samsung Galaxy S24",
        "a $500 Walmart gift card",
        "a Dyson vacuum",
        "a PS5",
        "a MacBook Air",
        "a 65-inch TV",
        "two return flights",
    ],
    zh: &[
        "iPhone 15",
        "华为Mate 60",
        "戴森吹风机",
        "小米电视",
        "iPad",
        "扫地机器人",
        "茅台一箱",
        "笔记本电脑",
    ],
};

pub(crate) const FREEBIES: Pool = Pool {
    en: &[
        "a free coffee",
        "a tote bag",
        "a mini cake",
        "a skincare sample",
    ],
    zh: &["奶茶", "小蛋糕", "试用装", "帆布袋", "冰淇淋"],
};

pub(crate) const AGENCIES_EN: &[&str] = &[
    "FBI",
    "IRS",
    "HMRC",
    "Interpol",
    "Federal Police",
    "Border Force",
    "Homeland Security",
    "National Crime Agency",
];

pub(crate) const PROJECTS: Pool = Pool {
    en: &[
        "Q3 budget",
        "onboarding",
        "mobile app",
        "pricing",
        "data migration",
        "vendor audit",
        "website redesign",
        "annual report",
        "hiring plan",
    ],
    zh: &[
        "Q3预算",
        "新版APP",
        "年终总结",
        "数据迁移",
        "客户提案",
        "供应商审计",
        "官网改版",
        "招聘计划",
        "双十一活动",
    ],
};

pub(crate) const COMPANIES: Pool = Pool {
    en: &[
        "Acme Ltd",
        "Northwind",
        "Globex",
        "Initech",
        "Blue Harbor Logistics",
        "Vertex Labs",
    ],
    zh: &[
        "华信科技",
        "星辰文化",
        "远航物流",
        "博远咨询",
        "青禾食品",
        "云帆网络",
    ],
};

pub(crate) const COINS: &[&str] = &["USDT", "BTC", "ETH", "SOL", "DOGE", "BNB"];

/// Invented trading platforms: drift scams name a "platform" that the normal batch never does.
pub(crate) const PLATFORMS: &[&str] = &[
    "BitNova",
    "CoinVerse Pro",
    "ApexDEX",
    "Zenith Quant",
    "GoldLeaf Capital",
    "MetaWealth",
    "TrustVault",
    "Orion Exchange",
];

pub(crate) const RATES: &[&str] = &["5%", "8.8%", "12%", "15%", "20%", "30%", "3%"];

pub(crate) const CHAT_APPS: Pool = Pool {
    en: &["WhatsApp", "Telegram", "Signal", "WeChat", "Line"],
    zh: &["微信", "QQ", "Telegram", "钉钉", "WhatsApp"],
};

pub(crate) const PAY_APPS: Pool = Pool {
    en: &["Venmo", "PayPal", "Zelle", "Cash App", "Apple Pay"],
    zh: &["支付宝", "微信", "云闪付"],
};

pub(crate) const WEEKDAYS: Pool = Pool {
    en: &[
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ],
    zh: &[
        "周一",
        "周二",
        "周三",
        "周四",
        "周五",
        "周六",
        "周日",
        "星期三",
        "星期五",
    ],
};

const MONTHS: &[&str] = &[
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const MONTHS_LONG: &[&str] = &[
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

const SCAM_BRANDS_EN: &[&str] = &[
    "ups-track",
    "usps-redelivery",
    "royalmail-fee",
    "dhl-parcel",
    "amaz0n",
    "apple-id",
    "paypal-secure",
    "chase-verify",
    "hmrc-refund",
    "netflix-billing",
    "wellsfargo-alert",
    "microsoft-login",
    "evri-reschedule",
    "irs-gov",
    "boa-online",
    "sf-express",
];
const SCAM_BRANDS_ZH: &[&str] = &[
    "sf-express",
    "icbc-vip",
    "cmb-verify",
    "taobao-tk",
    "jd-kefu",
    "etc-gov",
    "12123-pay",
    "ems-post",
    "zto-refund",
    "alipay-safe",
    "weixin-help",
    "95588-icbc",
    "ccb-online",
    "boc-secure",
    "chinatax-gov",
    "ybj-gov",
];
/// Drift scams get their own lure domains so that even the links look new.
const SCAM_BRANDS_DRIFT: &[&str] = &[
    "bitnova",
    "usdt-earn",
    "coinverse",
    "task-hub",
    "like2earn",
    "quant-ai",
    "walletconnect",
    "scan-pay",
    "refund-qr",
    "vip-signal",
    "tiktok-tasks",
    "mom-newphone",
];
const SCAM_SUFFIXES: &[&str] = &[
    "-refund", "-verify", "-help", "-secure", "-service", "-online", "-pay", "-center", "-claim",
    "", "", "",
];
const SCAM_TLDS: &[&str] = &[
    ".top",
    ".xyz",
    ".cc",
    ".vip",
    ".icu",
    ".shop",
    ".info",
    ".club",
    ".live",
    ".cn.com",
    ".com-id.net",
    ".online",
];
const SHORTENERS: &[&str] = &["bit.ly", "tinyurl.com", "t.cn", "is.gd", "cutt.ly"];

const SCAM_EMAIL_USERS: &[&str] = &[
    "claims.dept",
    "prize.office",
    "winner.desk",
    "award.manager",
    "lottery.board",
    "agent.chen",
];
const SCAM_EMAIL_HOSTS: &[&str] = &["gmail.com", "outlook.com", "yahoo.com", "163.com", "qq.com"];

const ALNUM: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// `len` random letters and digits (without look-alikes such as 0/O and 1/l).
pub(crate) fn alnum(rng: &mut ChaCha8Rng, len: usize) -> String {
    (0..len).map(|_| char::from(*pick(rng, ALNUM))).collect()
}

/// `len` random decimal digits; the first may be zero, as in real codes.
pub(crate) fn digits(rng: &mut ChaCha8Rng, len: usize) -> String {
    (0..len)
        .map(|_| char::from(b'0' + rng.gen_range(0u8..10)))
        .collect()
}

/// Formats an integer with thousands separators: 1234567 -> "1,234,567".
pub(crate) fn thousands(value: u64) -> String {
    let plain = value.to_string();
    let mut out = String::with_capacity(plain.len() + plain.len() / 3);
    for (i, ch) in plain.chars().enumerate() {
        if i > 0 && (plain.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// The size of a money amount: fees, everyday sums, or prizes and loans.
#[derive(Clone, Copy)]
pub(crate) enum Size {
    Small,
    Medium,
    Big,
}

/// A money amount in one of the formats people actually see: `$1,234.56`, `USD 80`, `¥1,280.00`,
/// `3500元`, `人民币5000元`, `2.5万元`. Several formats per language keep the amount format from
/// being a class signal.
pub(crate) fn money(rng: &mut ChaCha8Rng, language: Language, size: Size) -> String {
    let cents: u64 = match size {
        Size::Small => {
            // Fees are usually "x.99" or round numbers, rarely arbitrary cents.
            let whole = rng.gen_range(1u64..50);
            let frac = *pick(rng, &[99u64, 0, 50, 95, 49, 0]);
            whole * 100 + frac
        }
        Size::Medium => {
            let whole = rng.gen_range(12u64..3_000);
            let frac = if rng.gen_bool(0.5) {
                rng.gen_range(0u64..100)
            } else {
                0
            };
            whole * 100 + frac
        }
        Size::Big => {
            let step = *pick(rng, &[100u64, 500, 1_000, 10_000]);
            rng.gen_range(5u64..500) * step * 100
        }
    };
    let whole = cents / 100;
    let frac = cents % 100;
    match language {
        Language::English => match rng.gen_range(0u32..10) {
            0..=4 => format!("${}.{frac:02}", thousands(whole)),
            5 | 6 => format!("${}", thousands(whole)),
            7 => format!("USD {}", thousands(whole)),
            8 => format!("£{}.{frac:02}", thousands(whole)),
            _ => format!("€{}", thousands(whole)),
        },
        Language::Chinese => match rng.gen_range(0u32..10) {
            0..=2 => format!("¥{}.{frac:02}", thousands(whole)),
            3..=5 => format!("{whole}元"),
            6 => format!("{whole}.{frac:02}元"),
            7 => format!("人民币{whole}元"),
            8 if whole >= 10_000 => {
                let wan = whole as f64 / 10_000.0;
                format!("{}万元", trim_float(wan))
            }
            _ => format!("￥{whole}"),
        },
    }
}

/// Prints at most two decimals and drops trailing zeros: 2.50 -> "2.5", 3.00 -> "3".
fn trim_float(value: f64) -> String {
    let text = format!("{value:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A lure link: a look-alike domain on a cheap TLD, or a URL shortener.
pub(crate) fn scam_link(rng: &mut ChaCha8Rng, language: Language, drift: bool) -> String {
    if rng.gen_bool(0.15) {
        let host = *pick(rng, SHORTENERS);
        let len = rng.gen_range(4u32..8) as usize;
        return format!("{host}/{}", alnum(rng, len));
    }
    let brand = if drift {
        pick(rng, SCAM_BRANDS_DRIFT)
    } else {
        match language {
            Language::English => pick(rng, SCAM_BRANDS_EN),
            Language::Chinese => pick(rng, SCAM_BRANDS_ZH),
        }
    };
    let suffix = pick(rng, SCAM_SUFFIXES);
    let tld = pick(rng, SCAM_TLDS);
    let scheme = *pick(rng, &["http://", "http://", "https://", ""]);
    let path = match rng.gen_range(0u32..4) {
        0 => format!("/?id={}", digits(rng, 6)),
        1 => String::new(),
        _ => {
            let len = rng.gen_range(4u32..7) as usize;
            format!("/{}", alnum(rng, len))
        }
    };
    format!("{scheme}{brand}{suffix}{tld}{path}")
}

/// A scammer's free-mail address, used by the "send your details to" lottery scams.
pub(crate) fn scam_email(rng: &mut ChaCha8Rng) -> String {
    format!(
        "{}{}@{}",
        pick(rng, SCAM_EMAIL_USERS),
        rng.gen_range(2_u32..99),
        pick(rng, SCAM_EMAIL_HOSTS)
    )
}

/// A link on a genuine domain. Short links on real shops' hosts are included because real
/// marketing SMS use them too, so "has a short link" is not a fraud-only feature.
pub(crate) fn official_link(rng: &mut ChaCha8Rng, domain: &str, short: Option<&str>) -> String {
    if let Some(short) = short {
        if rng.gen_bool(0.35) {
            return format!("https://{short}/{}", alnum(rng, 6));
        }
    }
    let path = *pick(
        rng,
        &[
            "",
            "/account",
            "/help",
            "/orders",
            "/offers",
            "/track",
            "/security",
            "/app",
            "/m",
        ],
    );
    let host = if rng.gen_bool(0.7) {
        format!("www.{domain}")
    } else {
        domain.to_string()
    };
    let scheme = if rng.gen_bool(0.85) { "https://" } else { "" };
    format!("{scheme}{host}{path}")
}

/// A genuine link that belongs to no particular organisation: invoicing and public services.
pub(crate) fn neutral_link(rng: &mut ChaCha8Rng, language: Language) -> String {
    let code = alnum(rng, 8);
    let links: [String; 3] = match language {
        Language::English => [
            format!("https://invoice.stripe.com/i/{code}"),
            format!("https://www.paypal.com/invoice/p/{code}"),
            "https://www.gov.uk/book-appointment".to_string(),
        ],
        Language::Chinese => [
            "https://zwfw.gov.cn".to_string(),
            "https://www.gov.cn/fuwu".to_string(),
            format!("https://fapiao.alipay.com/{code}"),
        ],
    };
    pick(rng, &links).clone()
}

/// A mobile or premium-rate-looking number of the kind scams ask people to call.
pub(crate) fn phone(rng: &mut ChaCha8Rng, language: Language) -> String {
    match language {
        Language::English => match rng.gen_range(0u32..4) {
            0 => format!(
                "+1 ({}) 555-01{}",
                rng.gen_range(201u32..990),
                digits(rng, 2)
            ),
            1 => format!("({}) 555-01{}", rng.gen_range(201u32..990), digits(rng, 2)),
            2 => format!("07700 900{}", digits(rng, 3)),
            _ => format!("+44 7700 900{}", digits(rng, 3)),
        },
        Language::Chinese => {
            let prefix = *pick(
                rng,
                &["170", "171", "165", "138", "159", "186", "177", "400"],
            );
            if prefix == "400" {
                format!("400-{}-{}", digits(rng, 3), digits(rng, 4))
            } else if rng.gen_bool(0.3) {
                format!("{prefix} {} {}", digits(rng, 4), digits(rng, 4))
            } else {
                format!("{prefix}{}", digits(rng, 8))
            }
        }
    }
}

/// A date in one of several common formats.
pub(crate) fn date(rng: &mut ChaCha8Rng, language: Language) -> String {
    let month = rng.gen_range(1u32..13);
    let day = rng.gen_range(1u32..29);
    match language {
        Language::English => match rng.gen_range(0u32..4) {
            0 => format!("{} {day}", MONTHS[(month - 1) as usize]),
            1 => format!("{day} {}", MONTHS_LONG[(month - 1) as usize]),
            2 => format!("{day:02}/{month:02}"),
            _ => format!("{month}/{day}"),
        },
        Language::Chinese => match rng.gen_range(0u32..3) {
            0 => format!("{month}月{day}日"),
            1 => format!("{month}月{day}号"),
            _ => format!("{month:02}-{day:02}"),
        },
    }
}

/// A clock time in one of several common formats.
pub(crate) fn time(rng: &mut ChaCha8Rng, language: Language) -> String {
    let hour = rng.gen_range(8u32..22);
    let minute = *pick(rng, &[0u32, 0, 15, 30, 30, 45, 10, 50]);
    match language {
        Language::English => match rng.gen_range(0u32..3) {
            0 => format!("{hour:02}:{minute:02}"),
            1 => {
                let (h12, suffix) = twelve_hour(hour);
                format!("{h12}:{minute:02}{suffix}")
            }
            _ => {
                let (h12, suffix) = twelve_hour(hour);
                if minute == 0 {
                    format!("{h12}{suffix}")
                } else {
                    format!("{h12}:{minute:02} {}", suffix.to_uppercase())
                }
            }
        },
        Language::Chinese => {
            if rng.gen_bool(0.5) {
                format!("{hour:02}:{minute:02}")
            } else {
                let (h12, _) = twelve_hour(hour);
                let part = match hour {
                    0..=11 => "上午",
                    12..=17 => "下午",
                    _ => "晚上",
                };
                match minute {
                    0 => format!("{part}{h12}点"),
                    30 => format!("{part}{h12}点半"),
                    _ => format!("{part}{h12}点{minute}分"),
                }
            }
        }
    }
}

fn twelve_hour(hour: u32) -> (u32, &'static str) {
    match hour {
        0 => (12, "am"),
        1..=11 => (hour, "am"),
        12 => (12, "pm"),
        _ => (hour - 12, "pm"),
    }
}

/// A discount as the language writes it: "30%" off, or "7折" (70% of the price).
pub(crate) fn discount(rng: &mut ChaCha8Rng, language: Language) -> String {
    match language {
        Language::English => pick(
            rng,
            &["10%", "15%", "20%", "25%", "30%", "40%", "50%", "60%"],
        )
        .to_string(),
        Language::Chinese => {
            pick(rng, &["5折", "6折", "7折", "7.5折", "8折", "8.8折", "9折"]).to_string()
        }
    }
}

/// An order number in the style of the shops in the pools.
pub(crate) fn order(rng: &mut ChaCha8Rng, language: Language) -> String {
    match language {
        Language::English => match rng.gen_range(0u32..3) {
            0 => format!("{}-{}-{}", digits(rng, 3), digits(rng, 7), digits(rng, 7)),
            1 => format!("W{}", digits(rng, 9)),
            _ => digits(rng, 8),
        },
        Language::Chinese => {
            let len = rng.gen_range(16u32..20) as usize;
            digits(rng, len)
        }
    }
}

/// A promo code such as `SAVE20` or `HELLO15`.
pub(crate) fn promo(rng: &mut ChaCha8Rng) -> String {
    let word = pick(
        rng,
        &["SAVE", "HELLO", "WELCOME", "BDAY", "SPRING", "VIP", "EXTRA"],
    );
    format!("{word}{}", pick(rng, &["10", "15", "20", "25", "30"]))
}
