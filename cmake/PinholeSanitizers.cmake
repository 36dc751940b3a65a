# Global sanitizer switch used by the "debug" preset: ASan + UBSan, abort on any report.
if(PINHOLE_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined -fno-sanitize-recover=all)
endif()
