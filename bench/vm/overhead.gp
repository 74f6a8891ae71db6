# hackbench time relative to EEVDF per set-up and configuration (bench_overhead), goal 1.10.
# gnuplot -e "csv='overhead.csv'; png='overhead.png'" overhead.gp
set datafile separator ","
set key autotitle columnheader
set terminal pngcairo size 900,480 noenhanced font ",10"
set output png
set title "hackbench time vs EEVDF of the same set-up (VM, TCG; lower is better)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set ylabel "time / EEVDF's"
set yrange [0:*]
set grid ytics
set key outside top center horizontal
set xtics rotate by -25
plot csv using 4:xtic(sprintf("%s:%s", strcol(1), strcol(2))) title "median", \
     '' using 7 title "best of rounds", \
     1.10 with lines dt 2 lw 2 title "goal (1.10)"
