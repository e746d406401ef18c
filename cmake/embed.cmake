# Turns a text file into a C source defining `const char SYMBOL[]`.
file(READ ${IN} content HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," content "${content}")
file(WRITE ${OUT} "/* generated from ${IN} */\nconst char ${SYMBOL}[] = {${content} 0x00};\n")
