package mcpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// argumentError turns what encoding/json says about arguments that do not
// decode into a sentence for the caller: the argument's name (as the input
// schema spells it) and what it must be. The decoder's own text names Go
// types and struct fields ("cannot unmarshal number into Go struct field
// idInput.id of type string"), which mean nothing to a host or a model.
// into is the value the arguments were decoded into, whose JSON tags give
// the expected types.
func argumentError(err error, into any) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr) && typeErr.Field != "":
		want, ok := argumentType(reflect.TypeOf(into), strings.Split(typeErr.Field, "."))
		if !ok {
			return refuse("argument %s has the wrong type", typeErr.Field)
		}
		if isList(want) && !isList(typeErr.Type) {
			return refuse("argument %s must be %s; an item in it is %s", typeErr.Field, describeType(want), describeValue(typeErr.Value))
		}
		return refuse("argument %s must be %s, not %s", typeErr.Field, describeType(want), describeValue(typeErr.Value))
	case errors.As(err, &typeErr):
		return errArgumentsNotObject
	case errors.As(err, &syntaxErr):
		return refuse("the arguments are not valid JSON")
	}
	// DisallowUnknownFields reports `json: unknown field "name"`, with no
	// exported error type to match.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return refuse("%s is not an argument of this tool; its input schema lists the arguments it takes", name)
	}
	return refuse("the arguments could not be read: %s", strings.TrimPrefix(err.Error(), "json: "))
}

// argumentType follows a dotted JSON path (as UnmarshalTypeError.Field
// gives it: array indexes left out) through t's fields by their JSON names
// and returns the declared type at the end.
func argumentType(t reflect.Type, path []string) (reflect.Type, bool) {
	for _, name := range path {
		t = elemOf(t)
		if t.Kind() != reflect.Struct {
			return nil, false
		}
		found := false
		for i := range t.NumField() {
			f := t.Field(i)
			if jsonName(f) == name {
				t, found = f.Type, true
				break
			}
		}
		if !found {
			return nil, false
		}
	}
	return t, true
}

// isList says whether t (through pointers) is a JSON array. The decoder
// reports a wrong item of an array with the item's type.
func isList(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind() == reflect.Slice || t.Kind() == reflect.Array
}

// elemOf looks through pointers and arrays to the type of one element.
func elemOf(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	return t
}

func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "" {
		return f.Name
	}
	return name
}

// describeType says in JSON words what a value of t looks like.
func describeType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array of " + plural(t.Elem())
	}
	return "an object"
}

func plural(t reflect.Type) string {
	switch d := describeType(t); d {
	case "true or false":
		return "true or false values"
	case "an object":
		return "objects"
	default:
		return strings.TrimPrefix(strings.TrimPrefix(d, "an "), "a ") + "s"
	}
}

// describeValue words UnmarshalTypeError.Value ("number", "number 1.5",
// "string", "bool", "array", "object").
func describeValue(v string) string {
	if n, ok := strings.CutPrefix(v, "number "); ok {
		return fmt.Sprintf("the number %s", n)
	}
	switch v {
	case "bool":
		return "true or false"
	case "array", "object":
		return "an " + v
	case "":
		return "this value"
	}
	return "a " + v
}
