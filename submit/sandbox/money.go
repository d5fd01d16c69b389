package sandbox

import (
	"net/http"
	"sort"

	"github.com/shopspring/decimal"

	"github.com/payrun/payrun"
	"github.com/payrun/payrun/submit"
)

// unitsPerUSD is the sandbox's fixed FX table: units of each currency per US
// dollar. The rate from A to B is unitsPerUSD[B] / unitsPerUSD[A], rounded to
// six decimal places. The sandbox serves payouts in these currencies only.
var unitsPerUSD = map[string]string{
	"USD": "1",
	"EUR": "0.92",
	"GBP": "0.79",
	"CHF": "0.88",
	"JPY": "150",
	"CAD": "1.36",
	"AUD": "1.52",
	"NZD": "1.64",
	"SEK": "10.50",
	"NOK": "10.70",
	"DKK": "6.86",
	"PLN": "3.98",
	"CZK": "23.00",
	"HUF": "360",
	"INR": "83.00",
	"MXN": "17.00",
	"SGD": "1.34",
	"HKD": "7.80",
	"ZAR": "18.50",
	"KWD": "0.307",
	"BHD": "0.376",
}

// rateDecimals is the precision of every exchange rate.
const rateDecimals = 6

// exchangeRate returns how many units of buy one unit of sell buys.
func exchangeRate(sell, buy string) (decimal.Decimal, bool) {
	sellUnits, ok1 := unitsPerUSD[sell]
	buyUnits, ok2 := unitsPerUSD[buy]
	if !ok1 || !ok2 {
		return decimal.Decimal{}, false
	}
	if sell == buy {
		return decimal.NewFromInt(1), true
	}
	return decimal.RequireFromString(buyUnits).
		DivRound(decimal.RequireFromString(sellUnits), rateDecimals+4).
		Round(rateDecimals), true
}

// Fee formula: feeFixed plus feeRate of the source amount, in the source
// currency, rounded half up to the currency's scale (so JPY fees are whole
// yen and the fixed part of 0.25 rounds away).
var (
	feeFixed = decimal.RequireFromString("0.25")
	feeRate  = decimal.RequireFromString("0.001")
)

// payoutFee returns the fee in minor units of a source amount in minor units.
func payoutFee(sourceMinor int64, currency string) int64 {
	scale, _ := payrun.CurrencyScale(currency)
	source := decimal.New(sourceMinor, -int32(scale))
	fee := feeFixed.Add(source.Mul(feeRate)).Round(int32(scale))
	return fee.Shift(int32(scale)).IntPart()
}

// convertMinor converts minor units of from into minor units of to at rate,
// rounded half up. inverse divides instead of multiplying.
func convertMinor(minor int64, from, to string, rate decimal.Decimal, inverse bool) int64 {
	fromScale, _ := payrun.CurrencyScale(from)
	toScale, _ := payrun.CurrencyScale(to)
	value := decimal.New(minor, -int32(fromScale))
	if inverse {
		value = value.DivRound(rate, int32(toScale)+4)
	} else {
		value = value.Mul(rate)
	}
	return value.Round(int32(toScale)).Shift(int32(toScale)).IntPart()
}

func formatMinor(minor int64, currency string) string { return payrun.FormatMinor(minor, currency) }

func (s *Server) balanceView(m *merchant, b *balance) submit.Balance {
	return submit.Balance{
		ID:         "bal_" + m.ID[len("mer_"):] + b.Currency,
		MerchantID: m.ID,
		Currency:   b.Currency,
		Available:  formatMinor(b.Available, b.Currency),
		Pending:    formatMinor(b.Pending, b.Currency),
		Total:      formatMinor(b.Available+b.Pending, b.Currency),
		UpdatedAt:  timestamp(b.UpdatedAt),
	}
}

func (s *Server) listBalances(c *call) *reply {
	codes := make([]string, 0, len(c.merchant.Balances))
	for code := range c.merchant.Balances {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	out := dataList[submit.Balance]{Data: make([]submit.Balance, 0, len(codes))}
	for _, code := range codes {
		out.Data = append(out.Data, s.balanceView(c.merchant, c.merchant.Balances[code]))
	}
	return jsonReply(http.StatusOK, out)
}

func (s *Server) getBalance(c *call) *reply {
	code := c.params["currency"]
	if !currencyPattern.MatchString(code) {
		return badRequest("invalid currency " + quoteID(code) + ": use an uppercase ISO 4217 code such as EUR")
	}
	b := c.merchant.Balances[code]
	if b == nil {
		return notFound("account_not_found", "no "+code+" balance for this merchant")
	}
	return jsonReply(http.StatusOK, s.balanceView(c.merchant, b))
}

func (s *Server) getMerchant(c *call) *reply {
	created := timestamp(c.merchant.CreatedAt)
	return jsonReply(http.StatusOK, submit.Merchant{
		ID:                  c.merchant.ID,
		Status:              "active",
		DisplayName:         "payrun sandbox merchant",
		LegalName:           "payrun sandbox merchant",
		RateLimitMultiplier: max(s.opts.RateLimit/DefaultRateLimit, 1),
		RateLimitPerMinute:  s.opts.RateLimit,
		CreatedAt:           created,
		UpdatedAt:           created,
	})
}

func (s *Server) getFXRate(c *call) *reply {
	sell, buy := c.query.Get("sell_currency"), c.query.Get("buy_currency")
	for name, code := range map[string]string{"sell_currency": sell, "buy_currency": buy} {
		if !currencyPattern.MatchString(code) {
			return badRequest("missing or invalid " + name + " " + quoteID(code) + ": use an uppercase ISO 4217 code such as EUR")
		}
	}
	rate, ok := exchangeRate(sell, buy)
	if !ok {
		return errorReply(http.StatusUnprocessableEntity, "currency_not_supported",
			"the sandbox has no rate for "+sell+" to "+buy)
	}

	out := submit.FXRate{SellCurrency: sell, BuyCurrency: buy, Rate: rate.StringFixed(rateDecimals), Timestamp: timestamp(c.now)}
	if text := c.query.Get("sell_amount"); text != "" {
		var f fieldErrors
		scale, _ := payrun.CurrencyScale(sell)
		minor, ok := f.money("sell_amount", text, sell, scale, true)
		if !ok {
			return badRequest("invalid sell_amount " + quoteID(text) + ": " + f.list[0].Message)
		}
		out.SellAmount = formatMinor(minor, sell)
		out.BuyAmount = formatMinor(convertMinor(minor, sell, buy, rate, false), buy)
	}
	return jsonReply(http.StatusOK, out)
}
