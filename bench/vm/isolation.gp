# Wake-up latency of the sensitive cell per configuration (bench_isolation): p50 / p99 / max, ms,
# log scale. gnuplot -e "csv='isolation.csv'; png='isolation.png'" isolation.gp
set datafile separator ","
set key autotitle columnheader
set terminal pngcairo size 900,500 noenhanced font ",10"
set output png
set title "Sensitive cell wake-up latency beside a CPU-hog cell (VM, TCG)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set ylabel "wake-up latency (ms, log scale)"
set yrange [0.01:*]
set grid ytics
set key top left
set xtics rotate by -20
plot csv using ($3/1000):xtic(1) title "p50", \
     '' using ($5/1000) title "p99", \
     '' using ($7/1000) title "max"
