package bootlab_test

import "strconv"

func itoa[T ~uint16 | ~int](n T) string { return strconv.Itoa(int(n)) }
