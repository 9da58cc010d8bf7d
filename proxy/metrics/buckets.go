package metrics

import "time"

// Latency buckets shared by every histogram: fine enough for percentiles
// (about ±25% within a bucket), a 1-2-5 subset of them is exported to
// Prometheus. Bucket i counts durations in (bounds[i-1], bounds[i]]; the
// last bucket is everything above the largest bound.
var bucketBounds = [...]time.Duration{
	25 * time.Microsecond, 50 * time.Microsecond, 75 * time.Microsecond,
	100 * time.Microsecond, 150 * time.Microsecond, 200 * time.Microsecond,
	300 * time.Microsecond, 400 * time.Microsecond, 500 * time.Microsecond,
	750 * time.Microsecond,
	1 * time.Millisecond, 1500 * time.Microsecond, 2 * time.Millisecond,
	3 * time.Millisecond, 4 * time.Millisecond, 5 * time.Millisecond,
	7500 * time.Microsecond, 10 * time.Millisecond, 15 * time.Millisecond,
	20 * time.Millisecond, 30 * time.Millisecond, 40 * time.Millisecond,
	50 * time.Millisecond, 75 * time.Millisecond, 100 * time.Millisecond,
	150 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond,
	400 * time.Millisecond, 500 * time.Millisecond, 750 * time.Millisecond,
	1 * time.Second, 1500 * time.Millisecond, 2 * time.Second, 3 * time.Second,
	5 * time.Second, 7500 * time.Millisecond, 10 * time.Second,
	15 * time.Second, 30 * time.Second, 60 * time.Second,
}

// numBuckets is the finite buckets plus the overflow bucket.
const numBuckets = len(bucketBounds) + 1

// bucketOf returns d's bucket by binary search (six comparisons).
func bucketOf(d time.Duration) int {
	lo, hi := 0, len(bucketBounds)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if d > bucketBounds[mid] {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// percentile returns the q-quantile (0 < q ≤ 1) of a bucketed histogram,
// interpolated linearly inside its bucket; 0 for an empty histogram.
func percentile(h *[numBuckets]uint64, q float64) time.Duration {
	var total uint64
	for _, c := range h {
		total += c
	}
	if total == 0 {
		return 0
	}
	rank := q * float64(total)
	var seen float64
	for i, c := range h {
		if c == 0 {
			continue
		}
		if seen+float64(c) >= rank {
			lo := time.Duration(0)
			if i > 0 {
				lo = bucketBounds[i-1]
			}
			if i == len(bucketBounds) {
				return lo
			}
			frac := (rank - seen) / float64(c)
			return lo + time.Duration(frac*float64(bucketBounds[i]-lo))
		}
		seen += float64(c)
	}
	return bucketBounds[len(bucketBounds)-1]
}

// heatBands groups the buckets into the heatmap's latency bands: band j
// holds buckets up to and including heatBandLast[j].
var heatBandBounds = [...]time.Duration{
	100 * time.Microsecond, 200 * time.Microsecond, 500 * time.Microsecond,
	time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond,
	10 * time.Millisecond, 20 * time.Millisecond, 50 * time.Millisecond,
	100 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond,
	time.Second,
}

// numHeatBands is the bands plus "slower than a second".
const numHeatBands = len(heatBandBounds) + 1

// heatBandOf maps a bucket to its band.
func heatBandOf(bucket int) int {
	if bucket >= len(bucketBounds) {
		return numHeatBands - 1
	}
	ub := bucketBounds[bucket]
	for j, b := range heatBandBounds {
		if ub <= b {
			return j
		}
	}
	return numHeatBands - 1
}

// promBounds are the bucket indexes exported as Prometheus `le` labels.
var promBounds = func() []int {
	keep := map[time.Duration]bool{}
	for _, s := range []float64{5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60} {
		keep[time.Duration(s*float64(time.Second)+0.5)] = true
	}
	var out []int
	for i, b := range bucketBounds {
		if keep[b] {
			out = append(out, i)
		}
	}
	return out
}()
