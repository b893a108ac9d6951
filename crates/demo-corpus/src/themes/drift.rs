//! Fraud themes that only the drifted batch contains: scam patterns the normal batch never
//! shows (QR-code payments, fake charity appeals, concert-ticket resale, rental deposits), with
//! their own vocabulary.

use super::{EmailKind, ThemeSpec};
use crate::Label;

pub(crate) const QR_PAYMENT: ThemeSpec = ThemeSpec {
    name: "qr_payment",
    kind: "qr_payment",
    class: Label::Fraud,
    drift: true,
    weight: 10,
    email: EmailKind::None,
    casual: false,
    en: &[
        "Parking notice: your vehicle [has an unpaid fee|was ticketed] at {pickup}. Scan the QR code on the [meter|windscreen notice] to pay {small_amount} [within 24h|today].",
        "Your [refund|compensation] of {amount} is ready. [Scan|Please scan] the QR code I [sent|attached] with your banking app to [receive|collect] it.",
        "To [confirm|complete] the sale, scan my QR code with [Zelle|PayPal|your bank app] and enter {amount} - the money will [come back|be credited] to you [instantly|right away].",
        "[Marketplace|Facebook Marketplace] buyer: I already paid {amount}. Scan this QR code to [receive the payment|verify your account and get paid] 👉 {scam_link}",
        "[EV charger|Toll|Bike share] payment failed. Scan the [new|updated] QR code [on the station|in this message] to avoid a {small_amount} [penalty|fine]: {scam_link}",
        "Restaurant notice: the QR code on our menu has changed. Scan it to [pay|order] and get {discount} off [today|tonight] 📱 {scam_link}",
        "Hi {name}, scan the QR code to [join|unlock] the [delivery|cashback] rewards and receive {amount}. [Offer ends today|Valid for 2 hours].",
        "Your [package|locker] code is in the QR code [below|attached]. Scan it and pay the {small_amount} [locker|storage] fee to [open it|release your parcel].",
    ],
    zh: &[
        "[亲|您好]，[退款|理赔款]{amount}已[准备好|审批通过]，请用[支付宝|微信]扫描[我发的|下方]二维码[领取|收款]，[扫码后|]输入金额[即可到账|确认]。",
        "【停车缴费】您的车辆在{pickup}有未缴停车费{small_amount}，请[扫码|扫描挡风玻璃上的二维码]缴费，逾期将[加收滞纳金|影响征信]。",
        "[买家|卖家]：我[已经|]付款了，[但|]平台显示[你的账户未认证|需要保证金]，[你|您]扫[一下|这个]码[认证|验证]一下[就能收款|钱就到了]👉{scam_link}",
        "[共享单车|充电桩]扫码[支付失败|异常]，请重新扫描[新|以下]二维码[补缴|支付]{small_amount}，[否则|不然]将[扣除信用分|影响使用]。",
        "{name}，群[里|内]扫码[领红包|抢福利]，[扫码|扫一扫]就送{amount}，[名额有限|先到先得]，[快|赶紧]扫！{scam_link}",
        "您的[快递柜|驿站]包裹[超时|已滞留]，扫码[支付|缴纳]{small_amount}保管费[后取件|即可取件]，[二维码|链接]：{scam_link}",
        "[扫码|扫一扫][领取|激活]{shop}[消费券|补贴]{amount}，[限时|今日]有效，[需|请]输入银行卡[号|信息]及验证码[领取|完成认证]。",
        "【{shop}】[商家|店铺]收款码[已更新|已更换]，请[扫|使用]新二维码[付款|支付]，[旧码|原收款码]已失效：{scam_link}",
    ],
    subjects_en: &[],
    subjects_zh: &[],
};

pub(crate) const CHARITY_DONATION: ThemeSpec = ThemeSpec {
    name: "charity_donation",
    kind: "charity_donation",
    class: Label::Fraud,
    drift: true,
    weight: 10,
    email: EmailKind::Notice,
    casual: false,
    en: &[
        "[Earthquake|Flood|Wildfire] victims in {city} need your help 🙏 [Donate|Give] {small_amount} [now|today] through our charity page: {scam_link}",
        "Every donation is matched 2x until midnight! Help [orphans|families|children] [after the disaster|in need]. [Donate now|Give today]: {scam_link}",
        "Hi {name}, I'm volunteering for a children's charity. Could you donate {small_amount}? Send it by [gift card|{payapp}] to {phone}, [receipt to follow|thank you so much] ❤️",
        "URGENT appeal: the animal shelter closes [this week|tomorrow] without {big_amount} in donations. [Please donate|Donate] via {scam_link}",
        "[Veterans|Firefighters|Police widows] charity drive: pledge {small_amount} by phone at {phone}. [Tax deductible!|Every cent helps.]",
        "Your church friend {name} shared a donation appeal: a sick child needs surgery, [donate any amount|every donation counts] at {scam_link}",
        "Thank you for your pledge of {small_amount} to the [Disaster Relief Fund|Children's Hope Foundation]. Complete your donation with your card here: {scam_link}",
        "[Crowdfunding|Charity] campaign for {name}'s cancer treatment: [donate|give] [in crypto or gift cards|by wire] to help. {scam_link}",
    ],
    zh: &[
        "[{city}|灾区][地震|洪水|山火]灾民急需帮助🙏 [爱心捐款|献爱心]，[每人|请][捐|捐出]{small_amount}，[捐款|爱心]通道：{scam_link}",
        "【慈善[基金会|总会]】[您的|]爱心捐款{small_amount}[即将|待]完成，请[填写|确认]银行卡[信息|号]：{scam_link}",
        "[各位好心人|求扩散]，[孩子|我女儿]得了[白血病|重病]，[急需|手术需要]{big_amount}，[求|恳请][大家|各位]捐款[，好人一生平安|]🙏 {scam_link}",
        "[{name}|亲]，我在做[公益|慈善]，[帮|为][山区孩子|留守儿童][募捐|筹款]，[捐{small_amount}|随便捐点]，[转到|打到]我的{payapp}就行❤️",
        "【公益[平台|机构]】[您|你]的[捐款|爱心][证书|善款]{small_amount}[已生成|待确认]，[领取|查看]证书需[登录|验证] {scam_link}",
        "[流浪动物|敬老院][救助站|爱心组织][急需|缺少]{big_amount}[善款|捐款]，[请|恳请]大家[捐款|转发]，[捐款|爱心]账户：{scam_link}",
        "[爱心|慈善]接力：[捐款|捐]{small_amount}[可|即可][领取|获得][抵税证明|荣誉证书]，[通道|链接]今晚关闭：{scam_link}",
        "【红十字[会|救助]】[灾区|受灾群众][募捐|捐款]活动[进行中|开启]，[请|]通过 {scam_link} [献爱心|捐款]，[每一分|每份心意]都[很重要|是希望]。",
    ],
    subjects_en: &[
        "Help the {city} disaster victims",
        "Your donation is almost complete",
        "Urgent charity appeal",
    ],
    subjects_zh: &["爱心捐款倡议", "慈善捐款确认", "紧急募捐"],
};

pub(crate) const TICKET_RESALE: ThemeSpec = ThemeSpec {
    name: "ticket_resale",
    kind: "ticket_resale",
    class: Label::Fraud,
    drift: true,
    weight: 10,
    email: EmailKind::None,
    casual: true,
    en: &[
        "Got 2 spare [Taylor Swift|Coldplay|Beyoncé] concert tickets 🎤 can't go anymore, {amount} for both. [Pay by bank transfer|{payapp} friends and family only], I'll email them right after.",
        "[Sold out|SOLD OUT] concert? We still have [VIP|front row] seats! [Book|Reserve] at {scam_link} before they're gone 🎶",
        "Hi, saw your post looking for concert tickets. I have [floor|VIP] seats, {amount} each, pay [deposit|half] now and the rest after I transfer them.",
        "Your concert ticket order was [cancelled|flagged] by the venue. [Re-confirm|Rebook] your seats within 2 hours at {scam_link} or lose them.",
        "[Festival|Stadium] tickets at face value 🔥 message me on {app}, payment by gift card only, tickets sent [same day|instantly].",
        "[Congrats|Hi]! You've been selected for the concert presale. [Secure|Buy] your tickets now with the link: {scam_link} [(limit 4)|]",
        "The concert tickets you paid for are [in the app|ready], but the transfer needs a {small_amount} [verification|insurance] fee first.",
        "[Last minute|Urgent]: selling concert tickets for tonight, {amount}, [can't meet in person|I'm out of town], pay on {payapp} and I'll forward the e-tickets.",
    ],
    zh: &[
        "[周杰伦|五月天|邓紫棋|张学友]演唱会[内场|VIP]门票[转让|低价出]🎤 [原价|]{amount}[一张|两张]，[先付定金|先转账]，[付完|收款后][马上|立刻]转票。",
        "[演唱会|音乐节]门票[已售罄|一票难求]？[我们|这边]有[内部票|黄牛票|VIP座]，[加|联系]{app}{code}[预订|抢票]🎶",
        "【[票务|演出]平台】您购买的演唱会门票[订单异常|出票失败]，请[于2小时内|尽快]登录 {scam_link} [重新确认|退款]，[逾期|否则]作废。",
        "[亲|你好]，看到你[在找|求]演唱会门票，我[有|手上有]{count}张[内场|看台]票，{amount}一张，[先转|转]一半定金[给我|]，[剩下|尾款][见票付|转票后付]。",
        "演唱会门票[抢票|代抢][成功率100%|包成功]，[先付|支付]{small_amount}[服务费|定金]，[不成功全退|抢不到退款]，[加我|私聊]{app}🔥",
        "[恭喜|亲]，您[获得|抽中]演唱会[优先购票|门票]资格，[请|]在 {scam_link} [购票|支付]，[名额有限|限购4张]。",
        "[您的|你的]演唱会门票[已出票|转赠成功]，[领取|接收]前需[缴纳|支付]{small_amount}[保险费|认证费]，[请|]点击 {scam_link}",
        "[今晚|明晚]演唱会[急出|临时有事转]门票{amount}，[人在外地|不能当面交易]，[{payapp}转账|先付款]后[发电子票|转给你]。",
    ],
    subjects_en: &[],
    subjects_zh: &[],
};

pub(crate) const RENTAL_DEPOSIT: ThemeSpec = ThemeSpec {
    name: "rental_deposit",
    kind: "rental_deposit",
    class: Label::Fraud,
    drift: true,
    weight: 10,
    email: EmailKind::Notice,
    casual: false,
    en: &[
        "Hi, I'm the landlord of the apartment in {city} you asked about. I'm abroad, so please wire the first month's rent of {amount} and I'll mail you the keys.",
        "The rental apartment is still available! Many people want it, so send a {small_amount} holding deposit via {payapp} today to secure the viewing. [No viewings before payment.|]",
        "[Luxury|Spacious] 2-bed apartment in {city}, only {amount}/month, [bills included|fully furnished]. Landlord is [overseas|travelling], book at {scam_link}",
        "Rental application approved ✅ Please pay the [security deposit|first and last month's rent] of {big_amount} to the landlord's account within 24h to sign the lease.",
        "[Holiday|Vacation] rental for {date}: the booking site's payment failed, pay the landlord directly at {scam_link} [to keep the dates|for a {discount} discount].",
        "Landlord here: the rental account for your apartment has changed. Please send this month's rent of {amount} to the new account below from now on: {bank} {code}.",
        "[Room|Studio] apartment for rental near {place}, {amount}/month. Send a copy of your ID and the {small_amount} application fee to reserve. [Keys by courier.|]",
        "Your apartment lease renewal needs a {small_amount} admin fee. The landlord asks you to pay at {scam_link} by {date}.",
    ],
    zh: &[
        "[你好|您好]，我是{city}那套房子的房东，[人在国外|在外地出差]，[你先|先]把[押金|首月房租]{amount}转[给我|过来]，钥匙[快递|寄]给你。",
        "[房子|房源]还在，[但|]看房的人很多，[先|请先]交{small_amount}[看房定金|意向金]到我{payapp}，[才能|再]安排看房。",
        "[精装|拎包入住]两居室[出租|转租]，{city}[地铁口|市中心]，[月租|每月]只要{amount}，房东[在外地|出国]，[预订|看房]请点 {scam_link}",
        "[租房|合同]审核[已通过|通过]✅ 请[于24小时内|尽快]将[押一付三|首月租金及押金]{big_amount}[转入|打到]房东账户[以|]签约。",
        "[房东|我]：[收租|租金]账户[换了|已变更]，[从这个月起|以后]房租{amount}[打到|转到]新账户：{bank}{code}。",
        "[短租|民宿]{date}[预订|订单]：平台支付失败，[请|]直接[转账|付款]给房东 {scam_link}[，可优惠{discount}|]。",
        "[单间|公寓][出租|转租]，[近|靠近]{place}，月租{amount}，[请先|先]发[身份证照片|身份证]和{small_amount}[订房费|中介费][锁房|预留]。",
        "[续租|合同续签]需交{small_amount}[手续费|管理费]，房东[要求|请][你|您]在{date}前[通过|点击] {scam_link} [支付|缴纳]。",
    ],
    subjects_en: &[
        "Apartment in {city}: next steps",
        "Your rental application",
        "New account for rent payments",
    ],
    subjects_zh: &["租房合同确认", "房租收款账户变更", "看房预约"],
};
