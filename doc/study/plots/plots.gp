# gnuplot script written by truepoint accuracy; run in this directory
png_term = (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) ? 'pngcairo' : 'png'

set terminal png_term size 900,560
set output 'growth_bf16_bf16_normal_total.png'
set title "growth: a=bf16 b=bf16 dist=normal" noenhanced
set logscale xy
set format x '2^{%L}'
set xlabel 'K (dot-product length)'
set ylabel 'median total error |y - E0| (ulps of f32)' noenhanced
set key outside right noenhanced
set grid
unset label 1
set logscale x 2
plot 'growth_bf16_bf16_normal.dat' index 0 using 1:3 with linespoints title 'exact', \
     'growth_bf16_bf16_normal.dat' index 1 using 1:3 with linespoints title 'f32seq', \
     'growth_bf16_bf16_normal.dat' index 2 using 1:3 with linespoints title 'f32pair', \
     'growth_bf16_bf16_normal.dat' index 3 using 1:3 with linespoints title 'f32blk32', \
     'growth_bf16_bf16_normal.dat' index 4 using 1:3 with linespoints title 'bf16', \
     'growth_bf16_bf16_normal.dat' index 5 using 1:3 with linespoints title 'f16', \
     'growth_bf16_bf16_normal.dat' index 6 using 1:3 with linespoints title 'trunc14'
unset output

set terminal svg size 900,560
set output 'growth_bf16_bf16_normal_total.svg'
set title "growth: a=bf16 b=bf16 dist=normal" noenhanced
set logscale xy
set format x '2^{%L}'
set xlabel 'K (dot-product length)'
set ylabel 'median total error |y - E0| (ulps of f32)' noenhanced
set key outside right noenhanced
set grid
unset label 1
set logscale x 2
plot 'growth_bf16_bf16_normal.dat' index 0 using 1:3 with linespoints title 'exact', \
     'growth_bf16_bf16_normal.dat' index 1 using 1:3 with linespoints title 'f32seq', \
     'growth_bf16_bf16_normal.dat' index 2 using 1:3 with linespoints title 'f32pair', \
     'growth_bf16_bf16_normal.dat' index 3 using 1:3 with linespoints title 'f32blk32', \
     'growth_bf16_bf16_normal.dat' index 4 using 1:3 with linespoints title 'bf16', \
     'growth_bf16_bf16_normal.dat' index 5 using 1:3 with linespoints title 'f16', \
     'growth_bf16_bf16_normal.dat' index 6 using 1:3 with linespoints title 'trunc14'
unset output

set terminal png_term size 900,560
set output 'growth_bf16_bf16_normal_accum.png'
set title "growth: a=bf16 b=bf16 dist=normal" noenhanced
set logscale xy
set format x '2^{%L}'
set xlabel 'K (dot-product length)'
set ylabel 'mean accumulation error |y - RNE(Eq)| (ulps of f32)' noenhanced
set key outside right noenhanced
set grid
set label 1 'zero at every K (not drawn): exact' at graph 0.02, graph 0.96 noenhanced
set logscale x 2
plot 'growth_bf16_bf16_normal.dat' index 1 using 1:5 with linespoints title 'f32seq', \
     'growth_bf16_bf16_normal.dat' index 2 using 1:5 with linespoints title 'f32pair', \
     'growth_bf16_bf16_normal.dat' index 3 using 1:5 with linespoints title 'f32blk32', \
     'growth_bf16_bf16_normal.dat' index 4 using 1:5 with linespoints title 'bf16', \
     'growth_bf16_bf16_normal.dat' index 5 using 1:5 with linespoints title 'f16', \
     'growth_bf16_bf16_normal.dat' index 6 using 1:5 with linespoints title 'trunc14'
unset output

set terminal svg size 900,560
set output 'growth_bf16_bf16_normal_accum.svg'
set title "growth: a=bf16 b=bf16 dist=normal" noenhanced
set logscale xy
set format x '2^{%L}'
set xlabel 'K (dot-product length)'
set ylabel 'mean accumulation error |y - RNE(Eq)| (ulps of f32)' noenhanced
set key outside right noenhanced
set grid
set label 1 'zero at every K (not drawn): exact' at graph 0.02, graph 0.96 noenhanced
set logscale x 2
plot 'growth_bf16_bf16_normal.dat' index 1 using 1:5 with linespoints title 'f32seq', \
     'growth_bf16_bf16_normal.dat' index 2 using 1:5 with linespoints title 'f32pair', \
     'growth_bf16_bf16_normal.dat' index 3 using 1:5 with linespoints title 'f32blk32', \
     'growth_bf16_bf16_normal.dat' index 4 using 1:5 with linespoints title 'bf16', \
     'growth_bf16_bf16_normal.dat' index 5 using 1:5 with linespoints title 'f16', \
     'growth_bf16_bf16_normal.dat' index 6 using 1:5 with linespoints title 'trunc14'
unset output
