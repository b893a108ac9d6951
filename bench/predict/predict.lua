-- wrk script for bench/predict: POSTs a realistic ~400-character scam message as JSON,
-- alternating an English one (398 chars) and a Chinese one (392 chars, 1112 UTF-8 bytes).
-- The request path is the URL's, so the same script drives predict-api (/predict) and the
-- trivial baseline (/echo):
--   wrk -t2 -c32 -d10s --latency -s bench/predict/predict.lua http://127.0.0.1:8090/predict
--   wrk -t2 -c32 -d10s --latency -s bench/predict/predict.lua http://127.0.0.1:8091/echo
-- Besides wrk's own report, done() prints one line starting with "BENCH_JSON " for run.sh.
-- batch.py reads the two bodies below (the lines `local EN = [[...]]` / `local ZH = [[...]]`).

local EN = [[{"text": "URGENT: Your bank account has been temporarily suspended after unusual sign-in activity from a new device. To avoid permanent closure you must verify your identity within 24 hours. Click the secure link http://secure-verify-banking.com/login and confirm your full name, card number, expiry date and the one-time code we just sent to your phone. Failure to respond will result in a $500 penalty fee."}]]
local ZH = [[{"text": "【紧急通知】尊敬的客户您好，我们是市公安局反诈中心，系统检测到您的身份证信息涉嫌一起跨境洗钱案件，您名下的所有银行账户将在今天下午五点前被依法冻结。为了证明您的清白，请您立即配合我们进行资金核查，将账户内的全部资金转入国家指定的安全账户，核查完毕后二十四小时内会全额退还给您。此事属于国家机密，请勿告知家人朋友，否则将追究您的法律责任。请点击链接 http://anquan-hecha.cn 下载专用会议软件，并提供银行卡号、取款密码和手机验证码。另外，您的快递包裹中发现违禁物品，如需撤销案件请先缴纳保证金五万元。恭喜您同时获得平台返利活动资格，充值越多返利越高，日赚三千元轻松到账，名额有限，请尽快添加客服微信 kf8888 办理，逾期不候。如有疑问请拨打我们的官方热线四零零八八八六六六六，工作人员将全程为您提供一对一指导服务，切勿自行前往银行柜台办理，以免耽误案件处理进度。"}]]

local requests = {}
local n = 0

function init(args)
  local headers = { ["Content-Type"] = "application/json" }
  -- nil path: wrk uses the path of the URL on the command line.
  requests[1] = wrk.format("POST", nil, headers, EN)
  requests[2] = wrk.format("POST", nil, headers, ZH)
end

function request()
  n = n + 1
  return requests[(n % 2) + 1]
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "seconds": %.3f, "rps": %.1f, "p50_us": %d, "p90_us": %d, '
      .. '"p99_us": %d, "max_us": %d, "mean_us": %.1f, "non_2xx": %d, "err_connect": %d, '
      .. '"err_read": %d, "err_write": %d, "err_timeout": %d}\n',
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean, e.status, e.connect, e.read, e.write, e.timeout))
end
